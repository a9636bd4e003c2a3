import { createHash } from 'node:crypto';
import { Identity, Role } from '../../src/auth/identity';
import { EtagInput, EtagSigner, ifNoneMatchMatches } from '../../src/performance/etag';
import { canonicalRequest, paramsFromBody, paramsFromSearch } from '../../src/performance/graphql-request';
import { PersistedQueryStore } from '../../src/performance/persisted-queries';

const QUERY = 'query Effective($id: ID!) { effectiveMailConfig(libraryId: $id) { servers { name } } }';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const search = (params: Record<string, string>) => new URLSearchParams(params);
const MAX_TOKENS = 20_000;

describe('canonical requests: one form for POST and GET, with the query or its persisted hash', () => {
  const post = (body: unknown, persisted?: (hash: string) => string | undefined) => {
    const params = paramsFromBody(body);
    return params && canonicalRequest(params, persisted, MAX_TOKENS);
  };
  const get = (params: Record<string, string>, persisted?: (hash: string) => string | undefined) => {
    const parsed = paramsFromSearch(search(params));
    return parsed && canonicalRequest(parsed, persisted, MAX_TOKENS);
  };
  const reference = post({ query: QUERY, variables: { id: '1' } });

  it('gives a GET the form of the same POST', () => {
    expect(reference).not.toBeNull();
    expect(get({ query: QUERY, variables: '{"id":"1"}' })).toBe(reference);
    expect(get({ variables: '{"id":"1"}', query: `${QUERY}  # comment` })).toBe(reference);
  });

  it('gives a persisted query, sent with its text or by hash alone, the form of the plain query', () => {
    const extensions = { persistedQuery: { version: 1, sha256Hash: sha256(QUERY) } };
    expect(post({ query: QUERY, variables: { id: '1' }, extensions })).toBe(reference);
    const known = (hash: string) => (hash === sha256(QUERY) ? QUERY : undefined);
    expect(post({ variables: { id: '1' }, extensions }, known)).toBe(reference);
    expect(get({ variables: '{"id":"1"}', extensions: JSON.stringify(extensions) }, known)).toBe(reference);
  });

  it('has no form for what Apollo answers with an error: unknown or wrong hashes, other versions, repeated or malformed GET parameters', () => {
    const hash = sha256(QUERY);
    expect(post({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } })).toBeNull();
    expect(post({ query: QUERY, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(`${QUERY} `) } } })).toBeNull();
    expect(post({ query: QUERY, extensions: { persistedQuery: { version: 2, sha256Hash: hash } } })).toBeNull();
    expect(post({ query: '', extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }, () => QUERY)).toBeNull();
    expect(
      paramsFromSearch(
        new URLSearchParams([
          ['query', QUERY],
          ['query', QUERY],
        ]),
      ),
    ).toBeNull();
    expect(get({ query: QUERY, variables: 'null' })).toBeNull();
    expect(get({ query: QUERY, variables: '{' })).toBeNull();
    expect(post({ query: QUERY, variables: '{"id":"1"}' })).toBeNull();
  });

  it('has no form for a query over GRAPHQL_MAX_TOKENS, which Apollo refuses, however long: one at the limit has one', () => {
    const tokens = (count: number) => `{ ${'a '.repeat(count - 2)}}`;
    expect(post({ query: tokens(MAX_TOKENS) })).not.toBeNull();
    expect(post({ query: tokens(MAX_TOKENS + 1) })).toBeNull();
    expect(post({ query: tokens(333_000) })).toBeNull();
    // Comments are not tokens: a long one does not count against the limit.
    expect(post({ query: `# ${'x'.repeat(100_000)}\n${QUERY}`, variables: { id: '1' } })).toBe(reference);
  });

  it('keeps apart what changes the answer: variables, operation name, other extensions', () => {
    expect(post({ query: QUERY, variables: { id: '2' } })).not.toBe(reference);
    expect(post({ query: QUERY, variables: { id: '1' }, operationName: 'Effective' })).not.toBe(reference);
    expect(post({ query: QUERY, variables: { id: '1' }, extensions: { other: true } })).not.toBe(reference);
  });
});

describe('persisted query store bounded in bytes (GRAPHQL_PERSISTED_QUERY_CACHE_BYTES)', () => {
  it('keeps the most recently used queries within its bound and finds them by hash', async () => {
    const store = new PersistedQueryStore(64 * 1024);
    const texts = Array.from({ length: 200 }, (_, i) => `{ a${i}: libraries { code } ${' '.repeat(1000)}}`);
    for (const text of texts) await store.set(`apq:${sha256(text)}`, text);
    expect(store.size).toBeLessThan(40);
    expect(store.query(sha256(texts[199]))).toBe(texts[199]);
    expect(store.query(sha256(texts[0]))).toBeUndefined();
    store.remember(sha256(texts[0]), texts[0]);
    expect(await store.get(`apq:${sha256(texts[0])}`)).toBe(texts[0]);
  });
});

describe('entity tags', () => {
  const identity: Identity = { sub: 'svc', name: null, roles: new Set([Role.SERVICE]), libraries: new Set(), scopes: new Set() };
  const input: EtagInput = { revision: 7, stale: false, health: 'h', identity, accept: 'application/json', request: '{"query":"{a}"}' };
  const key = Buffer.alloc(32, 1);

  it('is the same for the same input and key, and differs with every input, the key and the schema', () => {
    const signer = new EtagSigner(key, 'schema-1');
    const tag = signer.etag(input);
    expect(new EtagSigner(Buffer.from(key), 'schema-1').etag({ ...input, identity: { ...identity, roles: new Set([Role.SERVICE]) } })).toBe(tag);
    const variants: EtagInput[] = [
      { ...input, revision: 8 },
      { ...input, stale: true },
      { ...input, health: 'other' },
      { ...input, identity: { ...identity, roles: new Set([Role.SUPPORT]) } },
      { ...input, identity: { ...identity, scopes: new Set(['mail:credentials']) } },
      { ...input, accept: 'application/graphql-response+json' },
      { ...input, request: '{"query":"{b}"}' },
    ];
    for (const variant of variants) expect(signer.etag(variant)).not.toBe(tag);
    expect(new EtagSigner(Buffer.alloc(32, 2), 'schema-1').etag(input)).not.toBe(tag);
    expect(new EtagSigner(key, 'schema-2').etag(input)).not.toBe(tag);
  });

  it('matches If-None-Match by weak comparison, in a list or as *', () => {
    const tag = 'W/"abc"';
    expect(ifNoneMatchMatches('W/"abc"', tag)).toBe(true);
    expect(ifNoneMatchMatches('"abc"', tag)).toBe(true);
    expect(ifNoneMatchMatches('"x", W/"abc"', tag)).toBe(true);
    expect(ifNoneMatchMatches('*', tag)).toBe(true);
    expect(ifNoneMatchMatches('W/"abcd"', tag)).toBe(false);
    expect(ifNoneMatchMatches('abc', tag)).toBe(false);
    expect(ifNoneMatchMatches(undefined, tag)).toBe(false);
  });
});
