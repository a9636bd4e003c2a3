import { ApolloServerPlugin } from '@apollo/server';
import { DocumentNode, Kind, OperationDefinitionNode, SelectionSetNode, stripIgnoredCharacters, visit } from 'graphql';
import { createHash } from 'node:crypto';
import { ByteLru } from './byte-lru';

/**
 * Root fields whose answers, with the snapshot on, depend only on the snapshot and the caller's
 * access (their loaders read memory). Settings queries and the audit log read the database.
 */
const SNAPSHOT_ROOT_FIELDS = new Set(['effectiveMailConfig', 'libraries', 'library', 'department', 'smtpServers', 'smtpServer']);
/**
 * Fields that read beyond the snapshot (DNS and the clock) make an operation uncacheable, and so
 * does `transport`: decrypted passwords are not kept in memory longer than one response. `health`
 * changes with every check; the problems it causes change only with the health epoch (in the key).
 */
const LIVE_FIELDS = new Set(['deliverability', 'transport', 'health']);

export interface CachedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  operation: string;
}

export interface CacheMark {
  cacheable: boolean;
  operation: string | null;
}

export interface ResponseCacheLimits {
  maxBytes: number;
  /** Larger answers are not kept: one of them would evict hundreds of small ones. */
  maxEntryBytes: number;
}

/** What, besides the snapshot, shapes a cached answer. */
export interface CacheKeyInput {
  /** The snapshot's generation, its stale flag and the servers' health epoch. */
  generation: string;
  token: string;
  /** The raw JSON request body. */
  body: string;
  /** Decides the content type of the answer (application/json or application/graphql-response+json). */
  accept: string | undefined;
}

/** Map slot, entry object and Buffer header: a fixed cost counted per entry on top of key and bytes. */
const ENTRY_OVERHEAD_BYTES = 256;

function rootFieldsOnly(selectionSet: SelectionSetNode, document: DocumentNode): boolean {
  return selectionSet.selections.every((selection) => {
    if (selection.kind === Kind.FIELD) return SNAPSHOT_ROOT_FIELDS.has(selection.name.value) || selection.name.value === '__typename';
    if (selection.kind === Kind.INLINE_FRAGMENT) return rootFieldsOnly(selection.selectionSet, document);
    return false;
  });
}

export function isSnapshotOnly(document: DocumentNode, operation: OperationDefinitionNode): boolean {
  if (operation.operation !== 'query' || !rootFieldsOnly(operation.selectionSet, document)) return false;
  let live = false;
  visit(document, {
    Field(node) {
      if (LIVE_FIELDS.has(node.name.value)) live = true;
    },
  });
  return !live;
}

function sortKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The request body in a canonical form: the query without ignored characters (whitespace,
 * commas, comments), every object's keys sorted. Two bodies with the same canonical form ask the
 * same thing. Null when the body is not a JSON object with a query that lexes: Apollo answers
 * those with an error, which is never cached.
 */
export function canonicalRequest(body: string): string | null {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
    const { query } = parsed as { query?: unknown };
    if (typeof query !== 'string') return null;
    return JSON.stringify({ ...parsed, query: stripIgnoredCharacters(query) }, sortKeys);
  } catch {
    // Syntax errors, and a RangeError for nesting deeper than the stack.
    return null;
  }
}

function headerBytes(headers: Record<string, string>): number {
  return Object.entries(headers).reduce((sum, [name, value]) => sum + name.length + value.length, 0);
}

/**
 * Answers repeated snapshot-only queries (effectiveMailConfig, which internal services ask before
 * every batch of mail, and the admin frontend's lists) from memory. An entry is keyed by the
 * snapshot it was computed from, the caller's token, the `accept` header and the canonical
 * request, so it is as fresh as the snapshot, never crosses identities or content types, and
 * whitespace or comment variants of one query share it. The whole cache is dropped on every
 * reload; within one snapshot it is a least-recently-used cache bounded in bytes.
 */
export class ResponseCache {
  private readonly entries: ByteLru<CachedResponse>;
  private generation = '';

  constructor(private readonly limits: ResponseCacheLimits) {
    this.entries = new ByteLru(limits.maxBytes);
  }

  /** The key for a request, or null when the request cannot be cached. */
  key({ generation, token, body, accept }: CacheKeyInput): string | null {
    if (generation !== this.generation) {
      this.generation = generation;
      this.entries.clear();
    }
    const canonical = canonicalRequest(body);
    if (canonical === null) return null;
    // A digest keeps big queries and tokens out of the keys; neither contains a newline.
    return createHash('sha256')
      .update(`${(accept ?? '').trim()}\n${token}\n${canonical}`)
      .digest('base64');
  }

  get(key: string): CachedResponse | undefined {
    return this.entries.get(key);
  }

  set(key: string, response: Omit<CachedResponse, 'body'> & { body: string }): void {
    const length = Buffer.byteLength(response.body);
    if (length > this.limits.maxEntryBytes) return;
    // Unpooled, so a small entry does not keep a shared 8 KiB allocation alive.
    const body = Buffer.allocUnsafeSlow(length);
    body.write(response.body);
    const bytes = ENTRY_OVERHEAD_BYTES + key.length + length + headerBytes(response.headers) + response.operation.length;
    this.entries.set(key, { ...response, body }, bytes);
  }

  stats(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.entries.bytes };
  }
}

/** Marks an executed operation cacheable when it read only the snapshot and produced no errors. */
export function cacheMarkPlugin<C extends { cacheMark?: CacheMark }>(): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ document, operation, contextValue, response, errors }) {
          const mark = contextValue.cacheMark;
          if (!mark || !document || !operation) return;
          const clean = !errors?.length && response.body.kind === 'single' && !response.body.singleResult.errors?.length;
          mark.cacheable = clean && isSnapshotOnly(document, operation);
          const first = operation.selectionSet.selections[0];
          mark.operation = operation.name?.value ?? (first?.kind === Kind.FIELD ? first.name.value : null);
        },
      };
    },
  };
}
