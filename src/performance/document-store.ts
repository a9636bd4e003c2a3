import type { DocumentStore } from '@apollo/server';
import type { DocumentNode } from 'graphql';
import { ByteLru } from './byte-lru';

/**
 * Heap bytes a parsed document takes per character of its source. Measured with graphql 16 on
 * Node 20 over typical operations (a named effectiveMailConfig query, the admin list, a wide
 * selection): 74-82 bytes per character with locations, because every AST node keeps a Location
 * and the root keeps the whole token list alive through it; 26-30 without locations, where the
 * JSON form (about 12 bytes per character) times 3 is close. Apollo's own default measures the
 * JSON length (about 20 bytes per character with locations), which understates the heap fourfold
 * and serialises every document once more to find out.
 */
const HEAP_BYTES_PER_SOURCE_CHAR = 80;
const HEAP_BYTES_PER_JSON_CHAR = 3;

export function estimatedDocumentBytes(document: DocumentNode): number {
  const source = document.loc?.source.body;
  if (source !== undefined) return source.length * HEAP_BYTES_PER_SOURCE_CHAR;
  return JSON.stringify(document).length * HEAP_BYTES_PER_JSON_CHAR;
}

/**
 * Apollo's cache of parsed and validated documents, bounded by their estimated heap size
 * (`GRAPHQL_DOCUMENT_CACHE_BYTES`), so a stream of distinct query texts cannot hold more than that.
 * A document bigger than the whole bound is parsed again each time instead of evicting all others.
 */
export function createDocumentStore(maxBytes: number): DocumentStore {
  const documents = new ByteLru<DocumentNode>(maxBytes);
  return {
    async get(key) {
      return documents.get(key);
    },
    async set(key, document) {
      documents.set(key, document, key.length + estimatedDocumentBytes(document));
    },
    async delete(key) {
      return documents.delete(key);
    },
  };
}
