import { ApolloServer, HeaderMap, HTTPGraphQLRequest } from '@apollo/server';
import { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { Identity } from '../auth/identity';
import { ErrorCode } from '../common/errors';
import { AppConfig } from '../config';
import { createLoaders, GatewayContext, RequestContext, Services } from '../context';
import { Metrics } from '../observability/metrics';
import { CacheMark, ResponseCache } from '../performance/response-cache';
import { HttpError } from './http-error';
import { readBody, refuseBody } from './read-body';
import { bearerToken } from './token-cache';

/** The most of a refused request's body that is read (and thrown away) to keep its connection. */
const ANONYMOUS_DRAIN_BYTES = 64 * 1024;

export interface GraphQLHandlerOptions {
  apollo: ApolloServer<GatewayContext>;
  config: AppConfig;
  dataSource: DataSource;
  services: Services;
  metrics: Metrics;
  verify: (token: string) => Promise<Identity>;
}

export type GraphQLHandler = (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<void>;

function send(response: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer): void {
  response.writeHead(status, headers);
  response.end(body);
}

function parseJsonBody(raw: string): unknown {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'The request body is not valid JSON');
  }
}

function headerMapOf(request: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

/**
 * A GraphQL request (GET or POST) without a valid token is refused before its body is read or
 * parsed: an anonymous client must not cost more than a signature check. A small body is thrown
 * away unread; a large one is not received at all (the connection closes after the 401). Other
 * methods (a CORS preflight, say) are not GraphQL requests.
 */
async function authenticate(request: IncomingMessage, verify: GraphQLHandlerOptions['verify']): Promise<{ token: string | null; identity: Identity | null }> {
  try {
    const token = bearerToken(request);
    const identity = token === null ? null : await verify(token);
    if (identity === null && (request.method === 'GET' || request.method === 'POST')) {
      throw new HttpError(401, ErrorCode.UNAUTHENTICATED, 'A valid bearer token is required');
    }
    return { token, identity };
  } catch (error) {
    if (error instanceof HttpError && refuseBody(request, ANONYMOUS_DRAIN_BYTES)) throw new HttpError(error.status, error.code, error.message, true);
    throw error;
  }
}

/** POST and GET on /graphql: identity first, then the response cache, then Apollo. */
export function createGraphQLHandler({ apollo, config, dataSource, services, metrics, verify }: GraphQLHandlerOptions): GraphQLHandler {
  const responseCache = new ResponseCache({ maxBytes: config.memory.responseCacheBytes, maxEntryBytes: config.memory.responseCacheEntryBytes });

  function cacheKeyOf(request: IncomingMessage, token: string | null, raw: string): string | null {
    const snapshot = services.snapshots?.current;
    if (!snapshot || !raw || !token || !/^application\/json\b/i.test(request.headers['content-type'] ?? '')) return null;
    return responseCache.key({
      generation: `${snapshot.generation}:${services.snapshots?.stale}:${services.health.epoch}`,
      token,
      body: raw,
      accept: request.headers.accept,
    });
  }

  return async (request, response, url) => {
    const started = performance.now();
    const { token, identity } = await authenticate(request, verify);
    const raw = request.method === 'POST' ? await readBody(request, config.graphql.maxBodyBytes) : '';
    const cacheKey = cacheKeyOf(request, token, raw);
    const cached = cacheKey ? responseCache.get(cacheKey) : undefined;
    if (cached) {
      send(response, cached.status, cached.headers, cached.body);
      metrics.responseCacheHit();
      metrics.request(cached.operation, performance.now() - started, false);
      return;
    }
    const httpGraphQLRequest: HTTPGraphQLRequest = {
      method: request.method ?? 'GET',
      headers: headerMapOf(request),
      search: url.search,
      body: parseJsonBody(raw),
    };
    const cacheMark: CacheMark | undefined = cacheKey ? { cacheable: false, operation: null } : undefined;
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest,
      context: async () => new RequestContext(identity, services, cacheMark, () => createLoaders(dataSource, services.snapshots?.current ?? null)),
    });
    const outHeaders = Object.fromEntries(result.headers);
    const status = result.status ?? 200;
    if (result.body.kind === 'complete') {
      send(response, status, outHeaders, result.body.string);
      if (cacheKey && cacheMark?.cacheable && status === 200) {
        responseCache.set(cacheKey, { status, headers: outHeaders, body: result.body.string, operation: cacheMark.operation ?? 'anonymous' });
      }
      return;
    }
    response.writeHead(status, outHeaders);
    for await (const chunk of result.body.asyncIterator) response.write(chunk);
    response.end();
  };
}
