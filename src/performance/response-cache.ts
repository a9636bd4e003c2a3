import { ApolloServerPlugin } from '@apollo/server';
import { DocumentNode, Kind, OperationDefinitionNode, SelectionSetNode, visit } from 'graphql';

/**
 * Root fields whose answers, with the snapshot on, depend only on the snapshot and the caller's
 * access (their loaders read memory). Settings queries and the audit log read the database.
 */
const SNAPSHOT_ROOT_FIELDS = new Set(['effectiveMailConfig', 'libraries', 'library', 'department', 'smtpServers', 'smtpServer']);
/**
 * Fields that read beyond the snapshot (DNS and the clock) make an operation uncacheable, and so
 * does `transport`: decrypted passwords are not kept in memory longer than one response.
 */
const LIVE_FIELDS = new Set(['deliverability', 'transport']);

export interface CachedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  operation: string;
}

export interface CacheMark {
  cacheable: boolean;
  operation: string | null;
}

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

/**
 * Answers repeated snapshot-only queries (effectiveMailConfig, which internal services ask before
 * every batch of mail, and the admin frontend's lists) from memory. An entry is keyed by the
 * snapshot it was computed from, the caller's token and the exact request body, so it is as fresh
 * as the snapshot and never crosses identities; the whole cache is dropped on every reload.
 */
export class ResponseCache {
  private entries = new Map<string, CachedResponse>();
  private generation = '';

  constructor(private readonly maxEntries = 10_000) {}

  key(generation: string, token: string, body: string): string {
    if (generation !== this.generation) {
      this.generation = generation;
      this.entries = new Map();
    }
    return `${token}\n${body}`;
  }

  get(key: string): CachedResponse | undefined {
    return this.entries.get(key);
  }

  set(key: string, response: CachedResponse): void {
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, response);
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
