import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ErrorCode } from '../common/errors';
import { Logger } from '../common/logger';
import { errorBody, HttpError, sendJson } from './http-error';
import { ClientGoneError } from './read-body';
import { parseRequestTarget } from './request-target';
import { HttpDrain, ShutdownTimings, TrackedRequest } from './shutdown';

export type Route = (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<void>;

export interface HttpEdge {
  httpServer: Server;
  listen(port: number, host?: string): Promise<string>;
  /** Stops accepting, answers what was already sent, closes every connection. */
  stop(): Promise<void>;
}

/** Paths polled every few seconds by orchestrators; a log line each would drown the rest. */
const QUIET_PATHS = new Set(['/healthz', '/metrics']);

/** One line per request once its connection is done with it; a client that left is not an error. */
function logWhenDone(logger: Logger, request: IncomingMessage, response: ServerResponse, requestId: string, path: () => string): void {
  const started = performance.now();
  response.once('close', () => {
    if (QUIET_PATHS.has(path())) return;
    const durationMs = Math.round((performance.now() - started) * 10) / 10;
    const answered = response.writableFinished;
    logger.log('info', answered ? 'request' : 'request abandoned by the client', {
      requestId,
      method: request.method,
      path: path(),
      ...(answered ? { status: response.statusCode } : { aborted: true }),
      durationMs,
    });
  });
}

function fail(logger: Logger, response: ServerResponse, tracked: TrackedRequest, path: string, error: unknown): void {
  // Whether the client left or shutdown cut the upload, the close is already logged once.
  if (error instanceof ClientGoneError) return;
  if (error instanceof HttpError && !response.headersSent) {
    if (error.status === 401) response.setHeader('www-authenticate', 'Bearer');
    return sendJson(response, error.status, errorBody(error.code, error.message), error.closeConnection);
  }
  logger.log('error', 'request failed', { requestId: tracked.requestId, path, error: error instanceof Error ? error.message : String(error) });
  if (!response.headersSent) sendJson(response, 500, errorBody(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error'));
  else response.destroy();
}

function requestIdOf(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(incoming) ? incoming : randomUUID();
}

/**
 * The HTTP server around the routes: request ids, one log line per request, an answer for every
 * request whatever it contains (a malformed target is a 400, never a crash), and a drain on stop.
 */
export function createHttpEdge(route: Route, logger: Logger, shutdown: ShutdownTimings, reserved?: Server): HttpEdge {
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = requestIdOf(request);
    response.setHeader('x-request-id', requestId);
    const tracked = drain.track(request, response, requestId);
    // The raw target is never logged: it is whatever the client sent.
    let path = '(malformed)';
    logWhenDone(logger, request, response, requestId, () => path);
    try {
      const url = parseRequestTarget(request.url);
      path = url.pathname;
      await route(request, response, url);
    } catch (error) {
      fail(logger, response, tracked, path, error);
    }
  }

  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    handle(request, response).catch((error: unknown) => {
      logger.log('error', 'request handler failed', { error: error instanceof Error ? error.message : String(error) });
      response.destroy();
    });
  };
  // A server bound early (reserve-port.ts) is taken over: its placeholder handler is replaced.
  const httpServer = reserved ?? createServer(onRequest);
  if (reserved) reserved.removeAllListeners('request').on('request', onRequest);
  const drain = new HttpDrain(httpServer, logger, shutdown);
  return {
    httpServer,
    listen(port, host = '127.0.0.1') {
      const bound = httpServer.address();
      if (httpServer.listening && typeof bound === 'object' && bound) return Promise.resolve(`http://${host}:${bound.port}`);
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          const address = httpServer.address();
          const actualPort = typeof address === 'object' && address ? address.port : port;
          resolve(`http://${host}:${actualPort}`);
        });
      });
    },
    stop: () => drain.stop(),
  };
}
