import { parse } from 'graphql';
import { createDocumentStore, estimatedDocumentBytes } from '../../src/performance/document-store';
import { canonicalRequest, paramsFromBody } from '../../src/performance/graphql-request';
import { ResponseCache } from '../../src/performance/response-cache';

const QUERY = 'query Effective($id: ID!) { effectiveMailConfig(libraryId: $id) { servers { name } sender { formatted } } }';
const KEY = { generation: '1:false', token: 'token-a', accept: 'application/json' };
const body = (query: string, variables: Record<string, unknown> = { id: '1' }) => JSON.stringify({ query, variables });
const answer = (text: string) => ({
  status: 200,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: text,
  operation: 'Effective',
  etag: 'W/"t"',
});

/** The canonical form of a raw POST body, as the GraphQL handler computes it; null when Apollo would refuse the body. */
function canonical(raw: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return null;
  }
  const params = paramsFromBody(parsed);
  return params && canonicalRequest(params, undefined, 20_000);
}

describe('response cache keys', () => {
  const cache = new ResponseCache({ maxBytes: 1 << 20, maxEntryBytes: 1 << 16 });
  const key = ({ body: raw, ...input }: Partial<typeof KEY> & { body: string }) => cache.key({ ...KEY, ...input, request: canonical(raw)! });

  it('gives whitespace, comma, comment and key-order variants one key', () => {
    const reference = key({ body: body(QUERY) });
    const variants = [
      body(`${QUERY}${' '.repeat(1000)}`),
      body(`# why\n${QUERY.replace(/ /g, ' ,\n\t ')}`),
      JSON.stringify({ variables: { id: '1' }, query: QUERY }),
    ];
    for (const variant of variants) expect(key({ body: variant })).toBe(reference);
    for (const variant of variants) cache.set(key({ body: variant })!, answer('{"data":{}}'));
    expect(cache.stats().entries).toBe(1);
  });

  it('keeps apart what changes the answer: variables, operation name, caller, accept header', () => {
    const reference = key({ body: body(QUERY) });
    expect(key({ body: body(QUERY, { id: '2' }) })).not.toBe(reference);
    expect(key({ body: JSON.stringify({ query: QUERY, variables: { id: '1' }, operationName: 'Effective' }) })).not.toBe(reference);
    expect(key({ body: body(QUERY), token: 'token-b' })).not.toBe(reference);
    expect(key({ body: body(QUERY), accept: 'application/graphql-response+json' })).not.toBe(reference);
    expect(key({ body: body('{ library(id: "a  b") { name } }') })).not.toBe(key({ body: body('{ library(id: "a b") { name } }') }));
  });

  it('does not key what Apollo refuses: no JSON object, no query, a query that does not lex', () => {
    for (const raw of ['[1]', '"x"', 'null', '{"variables":{}}', body('{ "unterminated }'), '{'.repeat(10_000)]) {
      expect(canonical(raw)).toBeNull();
    }
    const deep = `{"query":"{ libraries { code } }","variables":{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    expect(() => canonical(deep)).not.toThrow();
  });
});

describe('response cache bounded in bytes', () => {
  it('evicts the least recently used entries and never holds more than its bound', () => {
    const maxBytes = 256 * 1024;
    const cache = new ResponseCache({ maxBytes, maxEntryBytes: 64 * 1024 });
    const text = 'x'.repeat(10_000);
    const keys: string[] = [];
    for (let i = 0; i < 500; i++) {
      const key = cache.key({ ...KEY, request: canonical(body(`{ a${i}: libraries { code } }`))! });
      keys.push(key);
      cache.set(key, answer(text));
      if (i === 10) cache.get(keys[0]);
      expect(cache.stats().bytes).toBeLessThanOrEqual(maxBytes);
    }
    expect(cache.stats().entries).toBeLessThan(30);
    expect(cache.stats().entries).toBeGreaterThan(20);
    expect(cache.get(keys[499])).toBeDefined();
    expect(cache.get(keys[1])).toBeUndefined();
  });

  it('does not cache an answer larger than RESPONSE_CACHE_MAX_ENTRY_BYTES', () => {
    const cache = new ResponseCache({ maxBytes: 1 << 20, maxEntryBytes: 1000 });
    const key = cache.key({ ...KEY, request: canonical(body(QUERY))! });
    cache.set(key, answer('y'.repeat(1001)));
    expect(cache.get(key)).toBeUndefined();
    cache.set(key, answer('y'.repeat(1000)));
    expect(cache.get(key)?.body.toString()).toBe('y'.repeat(1000));
  });

  it('counts bytes, not characters, of non-ASCII answers', () => {
    const cache = new ResponseCache({ maxBytes: 1 << 20, maxEntryBytes: 1000 });
    const key = cache.key({ ...KEY, request: canonical(body(QUERY))! });
    cache.set(key, answer('ł'.repeat(600)));
    expect(cache.get(key)).toBeUndefined();
  });

  it('drops every entry when the snapshot generation changes', () => {
    const cache = new ResponseCache({ maxBytes: 1 << 20, maxEntryBytes: 1000 });
    cache.set(cache.key({ ...KEY, request: canonical(body(QUERY))! }), answer('{}'));
    cache.key({ ...KEY, generation: '2:false', request: canonical(body(QUERY))! });
    expect(cache.stats()).toEqual({ entries: 0, bytes: 0 });
  });
});

describe('document cache bounded by estimated heap (GRAPHQL_DOCUMENT_CACHE_BYTES)', () => {
  it('estimates a parsed document from its source length, heavier than its JSON form', () => {
    const document = parse(QUERY);
    expect(estimatedDocumentBytes(document)).toBe(QUERY.length * 80);
    expect(estimatedDocumentBytes(document)).toBeGreaterThan(JSON.stringify(document).length * 2);
    expect(estimatedDocumentBytes(parse(QUERY, { noLocation: true }))).toBeGreaterThan(0);
  });

  it('keeps the most recent documents within the bound and skips one larger than the bound', async () => {
    const store = createDocumentStore(QUERY.length * 80 * 10);
    for (let i = 0; i < 100; i++) await store.set(`k${i}`, parse(QUERY));
    expect(await store.get('k99')).toBeDefined();
    expect(await store.get('k89')).toBeUndefined();
    await store.set('huge', parse(`${QUERY}${' '.repeat(QUERY.length * 20)}`));
    expect(await store.get('huge')).toBeUndefined();
    expect(await store.get('k99')).toBeDefined();
  });
});
