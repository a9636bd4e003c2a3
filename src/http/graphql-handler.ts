import { ApolloServer, HeaderMap, HTTPGraphQLRequest } from '@apollo/server';
import { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { Identity } from '../auth/identity';
import { ErrorCode } from '../common/errors';
import { AppConfig } from '../config';
import { createLoaders, GatewayContext, RequestContext, Services } from '../context';
import { Metrics } from '../observability/metrics';
import { EtagSigner, ifNoneMatchMatches, isWildcard } from '../performance/etag';
import { canonicalRequest, paramsFromBody, paramsFromSearch, persistedQueryHash } from '../performance/graphql-request';
import { PersistedQueryStore } from '../performance/persisted-queries';
import { CacheMark, ResponseCache } from '../performance/response-cache';
import { HttpError } from './http-error';
import { mayAnswerWithoutApollo, sendAnswer, sendNotModified, taggedHeaders, untaggedHeaders } from './http-caching';
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
  /** Automatic persisted queries, the store Apollo registers them in. */
  persistedQueries: PersistedQueryStore;
  etags: EtagSigner;
}

export type GraphQLHandler = (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<void>;

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

interface Caller {
  token: string | null;
  identity: Identity | null;
}

/**
 * A GraphQL request (GET or POST) without a valid token is refused before its body is read or
 * parsed: an anonymous client must not cost more than a signature check. A small body is thrown
 * away unread; a large one is not received at all (the connection closes after the 401). Other
 * methods (a CORS preflight, say) are not GraphQL requests.
 */
async function authenticate(request: IncomingMessage, verify: GraphQLHandlerOptions['verify']): Promise<Caller> {
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

/** A request that may be a snapshot-only query, seen before it runs. */
interface Lookup {
  /** Its response-cache key. */
  key: string;
  /** The process-local state it was looked up in; an answer computed across a change of it is neither cached nor tagged. */
  state: string;
  /** The entity tag its answer has if that answer is clean and snapshot-only. */
  etag: () => string;
  operationName: string | null;
  /** Registers its persisted query when it carries one with the text and is answered without Apollo. */
  register?: () => void;
}

interface Memory {
  services: Services;
  responseCache: ResponseCache;
  persistedQueries: PersistedQueryStore;
  etags: EtagSigner;
  /** GRAPHQL_MAX_TOKENS: a longer query is left to Apollo, which refuses it. */
  maxTokens: number;
}

/** The snapshot, its stale flag and the health epoch: the answers of snapshot-only queries change only with them. */
function localState(services: Services): string | null {
  const snapshot = services.snapshots?.current;
  return snapshot ? `${snapshot.generation}:${services.snapshots?.stale}:${services.health.epoch}` : null;
}

function lookupOf(memory: Memory, request: IncomingMessage, url: URL, caller: Caller, body: unknown): Lookup | null {
  const { services, persistedQueries } = memory;
  const snapshots = services.snapshots;
  const snapshot = snapshots?.current;
  const state = localState(services);
  if (!snapshots || !snapshot || state === null || !caller.token || !caller.identity || !mayAnswerWithoutApollo(request)) return null;
  const params = request.method === 'POST' ? paramsFromBody(body) : paramsFromSearch(url.searchParams);
  const canonical = params && canonicalRequest(params, (hash) => persistedQueries.query(hash), memory.maxTokens);
  if (!params || !canonical) return null;
  const { accept } = request.headers;
  const input = {
    revision: snapshot.revision,
    stale: snapshots.stale,
    health: services.health.fingerprint,
    identity: caller.identity,
    accept,
    request: canonical,
  };
  let etag: string | undefined;
  const hash = params.query === undefined ? null : persistedQueryHash(params);
  return {
    key: memory.responseCache.key({ generation: state, token: caller.token, request: canonical, accept }),
    state,
    etag: () => (etag ??= memory.etags.etag(input)),
    operationName: params.operationName ?? null,
    register: hash ? () => persistedQueries.remember(hash, params.query as string) : undefined,
  };
}

/**
 * Answers from memory when it can: 304 when the client's tag matches (a tag is only ever given to
 * a clean snapshot-only answer, and it covers everything that answer depends on, so a match
 * proves the client holds the answer the query would give now, whichever instance gave it), else
 * the cached answer. False when the query has to run.
 */
function answerFromMemory(memory: Memory, metrics: Metrics, request: IncomingMessage, response: ServerResponse, lookup: Lookup, started: number): boolean {
  const cached = memory.responseCache.get(lookup.key);
  const ifNoneMatch = request.method === 'GET' ? request.headers['if-none-match'] : undefined;
  // `*` (whatever answer the client holds) is honoured only for an answer known to be clean: a cached one.
  const etag = cached?.etag ?? (ifNoneMatch && !isWildcard(ifNoneMatch) ? lookup.etag() : undefined);
  if (ifNoneMatch && etag && ifNoneMatchMatches(ifNoneMatch, etag)) {
    sendNotModified(response, etag);
    metrics.notModified();
  } else if (cached) {
    sendAnswer(response, cached.status, request.method === 'GET' ? taggedHeaders(cached.headers, cached.etag) : cached.headers, cached.body);
    metrics.responseCacheHit();
  } else {
    return false;
  }
  metrics.request(cached?.operation ?? lookup.operationName, performance.now() - started, false);
  lookup.register?.();
  return true;
}

/** POST and GET on /graphql: identity first, then the response cache and entity tags, then Apollo. */
export function createGraphQLHandler({
  apollo,
  config,
  dataSource,
  services,
  metrics,
  verify,
  persistedQueries,
  etags,
}: GraphQLHandlerOptions): GraphQLHandler {
  const responseCache = new ResponseCache({ maxBytes: config.memory.responseCacheBytes, maxEntryBytes: config.memory.responseCacheEntryBytes });
  const memory: Memory = { services, responseCache, persistedQueries, etags, maxTokens: config.graphql.maxTokens };

  /**
   * Sends a complete answer; a clean snapshot-only one is cached, and over GET tagged. (A client
   * holding that tag was already answered 304 before the query ran: the tag is known beforehand.)
   */
  function answer(request: IncomingMessage, response: ServerResponse, lookup: Lookup | null, mark: CacheMark | undefined, result: CompleteResult): void {
    const { status, headers, body } = result;
    const clean = lookup !== null && mark?.cacheable === true && status === 200 && lookup.state === localState(services);
    if (clean) responseCache.set(lookup.key, { status, headers, body, operation: mark.operation ?? 'anonymous', etag: lookup.etag() });
    if (request.method !== 'GET') return sendAnswer(response, status, headers, body);
    sendAnswer(response, status, clean ? taggedHeaders(headers, lookup.etag()) : untaggedHeaders(headers), body);
  }

  return async (request, response, url) => {
    const started = performance.now();
    const caller = await authenticate(request, verify);
    const raw = request.method === 'POST' ? await readBody(request, config.graphql.maxBodyBytes) : '';
    const body = parseJsonBody(raw);
    const lookup = lookupOf(memory, request, url, caller, body);
    if (lookup && answerFromMemory(memory, metrics, request, response, lookup, started)) return;
    const httpGraphQLRequest: HTTPGraphQLRequest = { method: request.method ?? 'GET', headers: headerMapOf(request), search: url.search, body };
    const cacheMark: CacheMark | undefined = lookup ? { cacheable: false, operation: null } : undefined;
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest,
      context: async () => new RequestContext(caller.identity, services, cacheMark, () => createLoaders(dataSource, services.snapshots?.current ?? null)),
    });
    const headers = Object.fromEntries(result.headers);
    const status = result.status ?? 200;
    if (result.body.kind === 'complete') return answer(request, response, lookup, cacheMark, { status, headers, body: result.body.string });
    response.writeHead(status, headers);
    for await (const chunk of result.body.asyncIterator) response.write(chunk);
    response.end();
  };
}

interface CompleteResult {
  status: number;
  headers: Record<string, string>;
  body: string;
}
