import { ApolloServerPlugin } from '@apollo/server';
import { DocumentNode, Kind, OperationDefinitionNode, SelectionSetNode, visit } from 'graphql';
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
  /** The entity tag of the answer (sent with it over GET). */
  etag: string;
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
  /** The canonical request (graphql-request.ts). */
  request: string;
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

function headerBytes(headers: Record<string, string>): number {
  return Object.entries(headers).reduce((sum, [name, value]) => sum + name.length + value.length, 0);
}

/**
 * Answers repeated snapshot-only queries (effectiveMailConfig, which internal services ask before
 * every batch of mail, and the admin frontend's lists) from memory. An entry is keyed by the
 * snapshot it was computed from, the caller's token, the `accept` header and the canonical
 * request, so it is as fresh as the snapshot, never crosses identities or content types, and
 * whitespace or comment variants of one query share it, as do GET and POST, and a persisted
 * query's hash and its text. The whole cache is dropped on every
 * reload; within one snapshot it is a least-recently-used cache bounded in bytes.
 */
export class ResponseCache {
  private readonly entries: ByteLru<CachedResponse>;
  private generation = '';

  constructor(private readonly limits: ResponseCacheLimits) {
    this.entries = new ByteLru(limits.maxBytes);
  }

  /** The key for a request; a new generation drops every entry. */
  key({ generation, token, request, accept }: CacheKeyInput): string {
    if (generation !== this.generation) {
      this.generation = generation;
      this.entries.clear();
    }
    // A digest keeps big queries and tokens out of the keys; neither contains a newline.
    return createHash('sha256')
      .update(`${(accept ?? '').trim()}\n${token}\n${request}`)
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
    const bytes = ENTRY_OVERHEAD_BYTES + key.length + length + headerBytes(response.headers) + response.operation.length + response.etag.length;
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
