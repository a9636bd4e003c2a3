import { IncomingMessage, ServerResponse } from 'node:http';
import { DataSource } from 'typeorm';
import { Services } from '../context';
import { probeDatabase } from '../database/readiness';
import { Metrics } from '../observability/metrics';
import { sendJson } from './http-error';

export interface EndpointOptions {
  dataSource: DataSource;
  services: Services;
  metrics: Metrics;
  /** Outside production: what the development mail sink received, served at GET /dev/mailbox. */
  mailbox?: () => unknown[];
}

/** A GET endpoint beside /graphql; returns false when the path is not one of them. */
export type Endpoints = (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<boolean>;

async function readiness({ dataSource, services }: EndpointOptions): Promise<{ ok: boolean; checks: Record<string, string> }> {
  const checks: Record<string, string> = { ...(await probeDatabase(dataSource)) };
  if (services.snapshots) checks.snapshot = services.snapshots.current ? (services.snapshots.stale ? 'stale' : 'ok') : 'not loaded';
  return { ok: Object.values(checks).every((c) => c === 'ok'), checks };
}

/** Liveness, readiness, Prometheus metrics and (in development) the mail sink's mailbox. */
export function createEndpoints(options: EndpointOptions): Endpoints {
  const { metrics, mailbox } = options;
  const routes: Record<string, (response: ServerResponse) => Promise<void> | void> = {
    '/healthz': (response) => sendJson(response, 200, { status: 'ok' }),
    '/readyz': async (response) => {
      const state = await readiness(options);
      sendJson(response, state.ok ? 200 : 503, { status: state.ok ? 'ready' : 'not ready', ...state.checks });
    },
    '/metrics': async (response) => {
      const text = await metrics.render();
      response.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text) });
      response.end(text);
    },
    ...(mailbox ? { '/dev/mailbox': (response: ServerResponse) => sendJson(response, 200, mailbox()) } : {}),
  };
  return async (request, response, url) => {
    const route = Object.prototype.hasOwnProperty.call(routes, url.pathname) ? routes[url.pathname] : undefined;
    if (request.method !== 'GET' || !route) return false;
    await route(response);
    return true;
  };
}
