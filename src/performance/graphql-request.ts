import { Lexer, Source, stripIgnoredCharacters, TokenKind } from 'graphql';
import { createHash } from 'node:crypto';

/** The parameters of a GraphQL request, from a POST body or a GET query string alike. */
export interface GraphQLParams {
  query?: string;
  operationName?: string;
  variables?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
}

const NAMES = ['query', 'operationName', 'variables', 'extensions'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Null (or absent) parameters as Apollo reads them: the same as not sent. Null when a type is wrong. */
function typed(raw: Record<string, unknown>): GraphQLParams | null {
  const { query, operationName, variables, extensions } = raw;
  if (query != null && typeof query !== 'string') return null;
  if (operationName != null && typeof operationName !== 'string') return null;
  if ((variables != null && !isRecord(variables)) || (extensions != null && !isRecord(extensions))) return null;
  return { query: query ?? undefined, operationName: operationName ?? undefined, variables: variables ?? undefined, extensions: extensions ?? undefined };
}

/**
 * The parameters of a POST body, or null when Apollo would refuse it (not an object, a parameter
 * of the wrong type): those requests are answered by Apollo with an error, never from memory.
 */
export function paramsFromBody(body: unknown): GraphQLParams | null {
  return isRecord(body) ? typed(body) : null;
}

/** The parameters of a GET request's query string; null when one is repeated or is not the JSON object it must be. */
export function paramsFromSearch(search: URLSearchParams): GraphQLParams | null {
  const raw: Record<string, unknown> = {};
  for (const name of NAMES) {
    const values = search.getAll(name);
    if (values.length > 1) return null;
    if (values.length === 0) continue;
    if (name === 'query' || name === 'operationName') {
      raw[name] = values[0];
      continue;
    }
    try {
      raw[name] = JSON.parse(values[0]);
    } catch {
      return null;
    }
    if (!isRecord(raw[name])) return null;
  }
  return typed(raw);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The hash of an automatic persisted query (Apollo's protocol, `extensions.persistedQuery`) when
 * the request is a well-formed one, with a query that matches it if a query is sent; null
 * otherwise (Apollo answers those, with an error where one is due).
 */
export function persistedQueryHash(params: GraphQLParams): string | null {
  const persisted = params.extensions?.persistedQuery;
  if (!isRecord(persisted) || persisted.version !== 1 || typeof persisted.sha256Hash !== 'string') return null;
  if (params.query !== undefined && sha256Hex(params.query) !== persisted.sha256Hash) return null;
  return persisted.sha256Hash;
}

/** The query a request stands for: its own text, or the one its persisted-query hash was registered with. */
function queryOf(params: GraphQLParams, persisted: (hash: string) => string | undefined): string | null {
  if (params.extensions?.persistedQuery === undefined) return params.query || null;
  const hash = persistedQueryHash(params);
  if (hash === null) return null;
  return (params.query ?? persisted(hash)) || null;
}

function sortKeys(_key: string, value: unknown): unknown {
  if (!isRecord(value)) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function nonEmpty(record: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return record && Object.keys(record).length > 0 ? record : undefined;
}

/**
 * Whether the text has at most `maxTokens` tokens, lexed no further than that: the parser stops
 * there too (GRAPHQL_MAX_TOKENS), and a body of a megabyte of tokens would otherwise be lexed
 * whole, half a second of the event loop, before Apollo refuses it.
 */
function withinTokens(query: string, maxTokens: number): boolean {
  const lexer = new Lexer(new Source(query));
  for (let tokens = 0; lexer.advance().kind !== TokenKind.EOF; tokens++) if (tokens >= maxTokens) return false;
  return true;
}

/**
 * The request in a canonical form: the query without ignored characters (whitespace, commas,
 * comments), every object's keys sorted, empty variables and extensions left out, and a persisted
 * query replaced by its text. Two requests with the same form ask the same thing, whether they
 * came as POST or GET, with the query or with its hash. Null when the request is not one Apollo
 * would run (no query, an unknown hash, a hash that does not match, a query that does not lex or
 * has more than `maxTokens` tokens).
 */
export function canonicalRequest(params: GraphQLParams, persisted: ((hash: string) => string | undefined) | undefined, maxTokens: number): string | null {
  const query = queryOf(params, persisted ?? (() => undefined));
  if (query === null) return null;
  const { persistedQuery: _persisted, ...extensions } = params.extensions ?? {};
  try {
    if (!withinTokens(query, maxTokens)) return null;
    const variables = nonEmpty(params.variables);
    return JSON.stringify({ query: stripIgnoredCharacters(query), operationName: params.operationName, variables, extensions: nonEmpty(extensions) }, sortKeys);
  } catch {
    // Syntax errors, and a RangeError for nesting deeper than the stack.
    return null;
  }
}
