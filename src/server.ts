import { ApolloServer, ApolloServerPlugin, HeaderMap, HTTPGraphQLRequest } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, GraphQLFormattedError, Kind } from 'graphql';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { DataSource } from 'typeorm';
import { Identity } from './auth/identity';
import { createTokenVerifier } from './auth/token-verifier';
import { ApiError, ErrorCode, isDatabaseUnavailable, ServiceUnavailableError } from './common/errors';
import { Logger } from './common/logger';
import { AppConfig } from './config';
import { createLoaders, GatewayContext, Loaders, Services } from './context';
import { probeDatabase } from './database/readiness';
import type { DnsBudget } from './mail/deliverability/dns-budget';
import { errorBody, HttpError, sendJson } from './http/http-error';
import { ClientGoneError, readBody, refuseBody } from './http/read-body';
import { parseRequestTarget } from './http/request-target';
import { DEFAULT_SHUTDOWN_TIMINGS, HttpDrain, ShutdownTimings, TrackedRequest } from './http/shutdown';
import { bearerToken, createTokenCache } from './http/token-cache';
import { Metrics } from './observability/metrics';
import { createDocumentStore } from './performance/document-store';
import { CacheMark, cacheMarkPlugin, ResponseCache } from './performance/response-cache';
import { buildGatewaySchema } from './schema';
import { queryCostPlugin } from './security/query-cost.plugin';
import { oneOutboundPerOperationPlugin } from './mail/test-mail.plugin';
import { queryLimitsPlugin } from './security/query-limits';
import { responseTooLarge, stringifyWithin } from './security/response-size';
import { fieldOfCoercionError, scrubValues, stripSuggestions } from './security/scrub-values';

/** Codes Apollo itself sets for malformed requests; they are the client's fault and safe to show. */
const APOLLO_REQUEST_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/** The most of a refused request's body that is read (and thrown away) to keep its connection. */
const ANONYMOUS_DRAIN_BYTES = 64 * 1024;

export interface Gateway {
  httpServer: Server;
  listen(port: number, host?: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Keeps our own error codes and Apollo's request errors; anything else is an unexpected
 * failure, logged here and shown to the client only as a generic INTERNAL_SERVER_ERROR.
 */
export function formatError(logger: Logger, hideSuggestions = false) {
  const shown = (formatted: GraphQLFormattedError): GraphQLFormattedError =>
    hideSuggestions ? { ...formatted, message: stripSuggestions(formatted.message) } : formatted;
  return (raw: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const formatted = shown(raw);
    const original = unwrapResolverError(error);
    const code = formatted.extensions?.code;
    if (original instanceof ApiError) return formatted;
    if (isDatabaseUnavailable(original)) {
      const unavailable = new ServiceUnavailableError();
      return { message: unavailable.message, path: formatted.path, extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } };
    }
    if (original instanceof GraphQLError && typeof code === 'string' && APOLLO_REQUEST_CODES.has(code)) {
      const message = scrubValues(formatted.message);
      const field = code === ErrorCode.BAD_USER_INPUT ? fieldOfCoercionError(formatted.message) : null;
      return { ...formatted, message, extensions: { ...formatted.extensions, ...(field ? { field } : {}) } };
    }
    logger.log('error', 'unexpected error', {
      error: original instanceof Error ? original.message : formatted.message,
      stack: original instanceof Error ? original.stack : undefined,
      path: formatted.path,
    });
    return { message: 'Internal server error', path: formatted.path, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  };
}

/**
 * The request's context. Its loaders are made on first use: for a mutation that is after its
 * write, whose commit reloaded the snapshot, so the fields of the result already see the change.
 * The getter lives on the prototype and the made loaders in a shared holder, because Apollo copies
 * the context with Object.assign (which would call an own getter early).
 */
class RequestContext implements GatewayContext {
  private readonly made: { loaders?: Loaders; dnsBudget?: DnsBudget } = {};

  constructor(
    readonly identity: Identity | null,
    readonly services: Services,
    readonly cacheMark: CacheMark | undefined,
    private readonly makeLoaders: () => Loaders,
  ) {}

  get loaders(): Loaders {
    return (this.made.loaders ??= this.makeLoaders());
  }

  get dnsBudget(): DnsBudget {
    return (this.made.dnsBudget ??= this.services.deliverability.requestBudget(this.identity));
  }
}

export interface GatewayOptions {
  config: AppConfig;
  dataSource: DataSource;
  services: Services;
  logger: Logger;
  metrics?: Metrics;
  /** Outside production: what the development mail sink received, served at GET /dev/mailbox. */
  mailbox?: () => unknown[];
  shutdown?: ShutdownTimings;
}

/** Records each GraphQL operation under its name (or its first root field when anonymous). */
function metricsPlugin(metrics: Metrics): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operationName, operation, errors, response }) {
          const first = operation?.selectionSet.selections[0];
          const name = operationName ?? (first?.kind === Kind.FIELD ? first.name.value : null);
          const failed = Boolean(errors?.length) || (response.body.kind === 'single' && Boolean(response.body.singleResult.errors?.length));
          metrics.request(name, performance.now() - started, failed);
        },
      };
    },
  };
}

export async function createGateway({
  config,
  dataSource,
  services,
  logger,
  mailbox,
  metrics = new Metrics(),
  shutdown = DEFAULT_SHUTDOWN_TIMINGS,
}: GatewayOptions): Promise<Gateway> {
  const schema = await buildGatewaySchema();
  const apollo = new ApolloServer<GatewayContext>({
    schema,
    introspection: config.graphql.introspection,
    // "Did you mean ...?" hints would describe the schema to clients that may not introspect it.
    hideSchemaDetailsFromClientErrors: !config.graphql.introspection,
    csrfPrevention: true,
    // A document is refused once it has more tokens than any real query, before it is built.
    parseOptions: { maxTokens: config.graphql.maxTokens },
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    // main.ts owns SIGTERM/SIGINT (drain HTTP, then stop Apollo, then close the database). Apollo's
    // own handler would stop Apollo first, and a second stop() racing it never settles (Apollo 5),
    // so the shutdown never reached the database: exit 1 by the 9 s timer on MySQL.
    stopOnTerminationSignals: false,
    formatError: formatError(logger, !config.graphql.introspection),
    // Compact JSON: pretty-printing a list of thousands of departments costs more than building it.
    // Past the ceiling the answer is dropped for an error, never built into one huge string.
    stringifyResult: (result) => {
      const text = stringifyWithin(result, config.queryCost.maxResponseBytes);
      if (text !== null) return text;
      logger.log('warn', 'answer larger than GRAPHQL_MAX_RESPONSE_BYTES replaced by an error', { limit: config.queryCost.maxResponseBytes });
      return responseTooLarge(config.queryCost.maxResponseBytes);
    },
    documentStore: createDocumentStore(config.memory.documentCacheBytes),
    // No HTTP cache hints are used, and the plugin would wrap every field resolver.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      queryLimitsPlugin(config.graphql),
      queryCostPlugin(config.queryCost, dataSource, () => services.snapshots?.current ?? null),
      oneOutboundPerOperationPlugin(),
      metricsPlugin(metrics),
      cacheMarkPlugin(),
    ],
  });
  await apollo.start();
  const verified = createTokenCache(createTokenVerifier(config.auth));
  const responseCache = new ResponseCache({ maxBytes: config.memory.responseCacheBytes, maxEntryBytes: config.memory.responseCacheEntryBytes });

  async function identify(token: string | null): Promise<Identity | null> {
    return token === null ? null : verified(token);
  }

  /**
   * A GraphQL request (GET or POST) without a valid token is refused before its body is read or
   * parsed: an anonymous client must not cost more than a signature check. A small body is thrown
   * away unread; a large one is not received at all (the connection closes after the 401). Other
   * methods (a CORS preflight, say) are not GraphQL requests.
   */
  async function authenticate(request: IncomingMessage): Promise<{ token: string | null; identity: Identity | null }> {
    try {
      const token = bearerToken(request);
      const identity = await identify(token);
      if (identity === null && (request.method === 'GET' || request.method === 'POST')) {
        throw new HttpError(401, ErrorCode.UNAUTHENTICATED, 'A valid bearer token is required');
      }
      return { token, identity };
    } catch (error) {
      if (error instanceof HttpError && refuseBody(request, ANONYMOUS_DRAIN_BYTES)) throw new HttpError(error.status, error.code, error.message, true);
      throw error;
    }
  }

  function send(response: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer): void {
    response.writeHead(status, headers);
    response.end(body);
  }

  async function graphql(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const started = performance.now();
    const { token, identity } = await authenticate(request);
    const raw = request.method === 'POST' ? await readBody(request, config.graphql.maxBodyBytes) : '';
    const snapshot = services.snapshots?.current;
    const cacheKey =
      snapshot && raw && token && /^application\/json\b/i.test(request.headers['content-type'] ?? '')
        ? responseCache.key({ generation: `${snapshot.generation}:${services.snapshots?.stale}`, token, body: raw, accept: request.headers.accept })
        : null;
    const cached = cacheKey ? responseCache.get(cacheKey) : undefined;
    if (cached) {
      send(response, cached.status, cached.headers, cached.body);
      metrics.responseCacheHit();
      metrics.request(cached.operation, performance.now() - started, false);
      return;
    }
    let body: unknown = undefined;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        throw new HttpError(400, 'BAD_REQUEST', 'The request body is not valid JSON');
      }
    }
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const httpGraphQLRequest: HTTPGraphQLRequest = { method: request.method ?? 'GET', headers, search: url.search, body };
    const cacheMark: CacheMark | undefined = cacheKey ? { cacheable: false, operation: null } : undefined;
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest,
      context: async () => new RequestContext(identity, services, cacheMark, () => createLoaders(dataSource, services.snapshots?.current ?? null)),
    });
    const outHeaders: Record<string, string> = {};
    for (const [name, value] of result.headers) outHeaders[name] = value;
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
  }

  async function ready(): Promise<{ ok: boolean; checks: Record<string, string> }> {
    const checks: Record<string, string> = { ...(await probeDatabase(dataSource)) };
    if (services.snapshots) checks.snapshot = services.snapshots.current ? (services.snapshots.stale ? 'stale' : 'ok') : 'not loaded';
    return { ok: Object.values(checks).every((c) => c === 'ok'), checks };
  }

  async function route(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    if (url.pathname === '/graphql') return await graphql(request, response, url);
    if (request.method === 'GET' && url.pathname === '/healthz') return sendJson(response, 200, { status: 'ok' });
    if (request.method === 'GET' && url.pathname === '/readyz') {
      const state = await ready();
      return sendJson(response, state.ok ? 200 : 503, { status: state.ok ? 'ready' : 'not ready', ...state.checks });
    }
    if (request.method === 'GET' && url.pathname === '/metrics') {
      const text = await metrics.render();
      response.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text) });
      return void response.end(text);
    }
    if (request.method === 'GET' && url.pathname === '/dev/mailbox' && mailbox) return sendJson(response, 200, mailbox());
    sendJson(response, 404, { error: 'not found' });
  }

  /** One line per request once its connection is done with it; a client that left is not an error. */
  function logWhenDone(request: IncomingMessage, response: ServerResponse, requestId: string, path: () => string): void {
    const started = performance.now();
    response.once('close', () => {
      if (path() === '/healthz' || path() === '/metrics') return;
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

  function fail(response: ServerResponse, tracked: TrackedRequest, path: string, error: unknown): void {
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

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const incoming = request.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    response.setHeader('x-request-id', requestId);
    const tracked = drain.track(request, response, requestId);
    // The raw target is never logged: it is whatever the client sent.
    let path = '(malformed)';
    logWhenDone(request, response, requestId, () => path);
    try {
      const url = parseRequestTarget(request.url);
      path = url.pathname;
      await route(request, response, url);
    } catch (error) {
      fail(response, tracked, path, error);
    }
  }

  const httpServer = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      logger.log('error', 'request handler failed', { error: error instanceof Error ? error.message : String(error) });
      response.destroy();
    });
  });
  const drain = new HttpDrain(httpServer, logger, shutdown);
  return {
    httpServer,
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          const address = httpServer.address();
          const actualPort = typeof address === 'object' && address ? address.port : port;
          resolve(`http://${host}:${actualPort}`);
        });
      });
    },
    async stop() {
      await drain.stop();
      // Apollo has nothing left to drain; a stop that does not settle must not hold the exit.
      await Promise.race([apollo.stop(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    },
  };
}
