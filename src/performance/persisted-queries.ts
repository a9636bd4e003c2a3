import type { PersistedQueryOptions } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { ByteLru } from './byte-lru';

type QueryCache = NonNullable<PersistedQueryOptions['cache']>;

/** Apollo keeps persisted queries under this prefix in the cache it is given (`APQ_CACHE_PREFIX`). */
const APOLLO_PREFIX = 'apq:';
/** Map slot and entry object, counted per entry on top of key and text. */
const ENTRY_OVERHEAD_BYTES = 128;

/**
 * The automatic persisted queries clients registered (Apollo's protocol: a hash first, the query
 * when the hash is unknown), bounded in bytes with the least recently used going first
 * (`GRAPHQL_PERSISTED_QUERY_CACHE_BYTES`). Apollo writes a query only after it parsed, validated
 * and passed the limits, and only for an authenticated request (the HTTP edge refuses the others
 * first). The GraphQL handler reads it too, to answer a hash-only request from the response cache.
 */
export class PersistedQueryStore implements QueryCache {
  private readonly queries: ByteLru<string>;

  constructor(maxBytes: number) {
    this.queries = new ByteLru(maxBytes);
  }

  async get(key: string): Promise<string | undefined> {
    return this.queries.get(key);
  }

  async set(key: string, query: string): Promise<void> {
    this.store(key, query);
  }

  async delete(key: string): Promise<boolean> {
    return this.queries.delete(key);
  }

  /** The query registered under a SHA-256 hash (hex), if it is still kept. */
  query(hash: string): string | undefined {
    return this.queries.get(APOLLO_PREFIX + hash);
  }

  /**
   * Registers a query whose hash was checked, when the request was answered without Apollo
   * (from the response cache, or 304): the client's next hash-only request then finds it.
   */
  remember(hash: string, query: string): void {
    this.store(APOLLO_PREFIX + hash, query);
  }

  get size(): number {
    return this.queries.size;
  }

  private store(key: string, query: string): void {
    // Two bytes per character: V8 keeps a text with any non-Latin-1 character in UTF-16.
    this.queries.set(key, query, ENTRY_OVERHEAD_BYTES + 2 * (key.length + query.length));
  }
}

/**
 * Apollo's refusals of a malformed persisted query carry no code, so they would pass for internal
 * errors; these are the client's, named by the field at fault.
 */
const PERSISTED_QUERY_REFUSALS: Record<string, { field: string; message: string }> = {
  'provided sha does not match query': {
    field: 'extensions.persistedQuery.sha256Hash',
    message: 'extensions.persistedQuery.sha256Hash is not the SHA-256 hash (hex) of the query',
  },
  'Unsupported persisted query version': { field: 'extensions.persistedQuery.version', message: 'extensions.persistedQuery.version must be 1' },
};

export function persistedQueryRefusal(error: unknown): { field: string; message: string } | null {
  if (!(error instanceof GraphQLError) || !Object.prototype.hasOwnProperty.call(PERSISTED_QUERY_REFUSALS, error.message)) return null;
  return PERSISTED_QUERY_REFUSALS[error.message];
}
