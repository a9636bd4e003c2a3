import { createHash } from 'node:crypto';
import { signToken } from '../../src/auth/token-verifier';
import { createLibrary, createServer, unique } from '../support/fixtures';
import { rawExchange } from '../support/raw-http';
import { startTestGateway, testConfig, TestGateway, WITH_SNAPSHOT } from '../support/gateway';

/**
 * Attacks on reads over GET, automatic persisted queries and entity tags: flooding the persisted
 * query store, a hash registered by one caller used by another, tags replayed by other callers or
 * with a refused token, If-None-Match and query strings at and over the header limit, a mutation
 * reached by its hash over GET. HTTP behaviour with the snapshot on, so one database is enough
 * (the caching tests in test/http run both).
 */
let gw: TestGateway;
let libraryId: string;
let otherLibraryId: string;

/** A small store, so that a flood shows its bound quickly. */
const STORE_BYTES = 64 * 1024;

beforeAll(async () => {
  gw = await startTestGateway('sqlite', {
    ...WITH_SNAPSHOT,
    memory: { ...testConfig({ type: 'sqlite', path: ':memory:' }).memory, persistedQueryBytes: STORE_BYTES },
  });
  const server = await createServer(gw, { name: unique('Relay'), host: 'relay.example.org', port: 587, allowTls: true });
  libraryId = (await createLibrary(gw, { code: unique('APQ'), contactEmail: 'apq@example.org', smtpServerId: server.id })).id;
  otherLibraryId = (await createLibrary(gw, { code: unique('APQX'), contactEmail: 'apqx@example.org', smtpServerId: server.id })).id;
});

afterAll(async () => {
  await gw?.close();
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const persisted = (query: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256(query) } });

interface Params {
  query?: string;
  variables?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
}

function searchOf(params: Params): string {
  const search = new URLSearchParams();
  if (params.query !== undefined) search.set('query', params.query);
  if (params.variables) search.set('variables', JSON.stringify(params.variables));
  if (params.extensions) search.set('extensions', JSON.stringify(params.extensions));
  return search.toString();
}

async function get(params: Params, token: string | null = gw.tokens.service, headers: Record<string, string> = {}) {
  const all: Record<string, string> = { 'apollo-require-preflight': 'true', ...headers };
  if (token) all.authorization = `Bearer ${token}`;
  const response = await fetch(`${gw.url}/graphql?${searchOf(params)}`, { headers: all });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: text ? JSON.parse(text) : null };
}

async function post(params: Params, token: string | null = gw.tokens.service) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${gw.url}/graphql`, { method: 'POST', headers, body: JSON.stringify(params) });
  return { status: response.status, body: (await response.json()) as any };
}

const EFFECTIVE = `query Effective($id: ID!) { effectiveMailConfig(libraryId: $id) { revision servers { name } sender { formatted } } }`;

describe('the persisted query store under a flood', () => {
  it(`keeps at most GRAPHQL_PERSISTED_QUERY_CACHE_BYTES of 1,000 unique queries: the oldest go, the newest stay`, async () => {
    const queries = Array.from({ length: 1000 }, (_, i) => `query Flood${i}($id: ID!) { effectiveMailConfig(libraryId: $id) { revision f${i}: stale } }`);
    for (let i = 0; i < queries.length; i += 50) {
      const answers = await Promise.all(queries.slice(i, i + 50).map((query) => post({ query, variables: { id: libraryId }, extensions: persisted(query) })));
      expect(answers.every((a) => a.status === 200 && !a.body.errors)).toBe(true);
    }
    const hashOnly = (query: string) => post({ variables: { id: libraryId }, extensions: persisted(query) });
    expect((await hashOnly(queries[0])).body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await hashOnly(queries[999])).body.data.effectiveMailConfig.f999).toBe(false);
    // About 400 bytes a query: no more than the bound holds.
    let kept = 0;
    for (const query of queries.slice(800)) if (!(await hashOnly(query)).body.errors) kept += 1;
    expect(kept).toBeLessThanOrEqual(STORE_BYTES / 300);
    expect(kept).toBeGreaterThan(0);
  }, 60_000);

  it('a single query larger than the whole store is answered and not kept', async () => {
    const query = `# ${'x'.repeat(STORE_BYTES)}\nquery Big($id: ID!) { effectiveMailConfig(libraryId: $id) { revision } }`;
    expect((await post({ query, variables: { id: libraryId }, extensions: persisted(query) })).body.data.effectiveMailConfig.revision).toBeGreaterThan(0);
    expect((await post({ variables: { id: libraryId }, extensions: persisted(query) })).body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });
});

describe('a hash registered by one caller, used by another', () => {
  it("still needs a token, and answers with the caller's own access, never the registrant's cached answer", async () => {
    const query = `query Shared($id: ID!) { effectiveMailConfig(libraryId: $id) { sender { formatted } } }`;
    const registered = await get({ query, variables: { id: libraryId }, extensions: persisted(query) }, gw.tokens.support);
    expect(registered.body.data.effectiveMailConfig.sender.formatted).toBe('apq@example.org');
    const hashOnly = { variables: { id: libraryId }, extensions: persisted(query) };
    expect((await get(hashOnly, null)).status).toBe(401);
    const foreignSecret = await signToken('another-secret-that-is-at-least-32-bytes!', { sub: 'support-1', roles: ['support'] });
    expect((await get(hashOnly, foreignSecret, { 'if-none-match': registered.headers.get('etag')! })).status).toBe(401);
    const admin = await gw.token({ sub: 'admin-apq', roles: ['library-admin'], libraries: [Number(otherLibraryId)] });
    const byAdmin = await get(hashOnly, admin, { 'if-none-match': registered.headers.get('etag')! });
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.data).toBeNull();
    expect(byAdmin.body.errors.map((e: any) => e.extensions.code)).toEqual(['FORBIDDEN']);
    expect(byAdmin.text).not.toContain('apq@example.org');
    expect(byAdmin.headers.get('etag')).toBeNull();
  });

  it('a mutation reached by its hash over GET is refused with 405 and does not run again', async () => {
    const mutation = `mutation Rename($id: ID!) { updateLibrary(id: $id, input: { shortName: "Renamed by hash" }) { version } }`;
    const first = await post({ query: mutation, variables: { id: libraryId }, extensions: persisted(mutation) }, gw.tokens.support);
    const version = first.body.data.updateLibrary.version;
    const viaGet = await get({ variables: { id: libraryId }, extensions: persisted(mutation) }, gw.tokens.support);
    expect(viaGet.status).toBe(405);
    const after = await gw.ok<any>(`query($id: ID!) { library(id: $id) { version } }`, { id: libraryId });
    expect(after.library.version).toBe(version);
  });
});

describe('a megabyte of tokens with a valid token', () => {
  it('is refused with GRAPHQL_PARSE_FAILED at GRAPHQL_MAX_TOKENS, and the next read is answered', async () => {
    const query = `{ ${'aa '.repeat(333_000)}}`;
    const refused = await post({ query });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    expect((await post({ query: EFFECTIVE, variables: { id: libraryId } })).body.data.effectiveMailConfig.revision).toBeGreaterThan(0);
  });
});

describe('If-None-Match and query strings at the header limit', () => {
  it('finds the tag among 450 others in a 14 KB If-None-Match, answers 200 to the 450 wrong ones, and 431 past 16 KiB', async () => {
    const first = await get({ query: EFFECTIVE, variables: { id: libraryId } });
    const etag = first.headers.get('etag')!;
    const decoys = Array.from({ length: 450 }, (_, i) => `W/"decoy${String(i).padStart(20, '0')}"`).join(', ');
    expect(decoys.length).toBeGreaterThan(13_000);
    expect((await get({ query: EFFECTIVE, variables: { id: libraryId } }, gw.tokens.service, { 'if-none-match': `${decoys}, ${etag}` })).status).toBe(304);
    const missed = await get({ query: EFFECTIVE, variables: { id: libraryId } }, gw.tokens.service, { 'if-none-match': decoys });
    expect(missed.status).toBe(200);
    expect(missed.body.data.effectiveMailConfig).toBeDefined();
    const port = Number(new URL(gw.url).port);
    const huge = await rawExchange(port, `GET /graphql?query=x HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: ${'W/"x", '.repeat(3000)}\r\n\r\n`);
    expect(huge.status).toBe(431);
    const unquoted = await get({ query: EFFECTIVE, variables: { id: libraryId } }, gw.tokens.service, { 'if-none-match': `${'"'.repeat(8000)}` });
    expect(unquoted.status).toBe(200);
  });

  it('answers a GET whose query string is over the header limit with 431, and keeps serving', async () => {
    const port = Number(new URL(gw.url).port);
    const query = encodeURIComponent(`{ ${'__typename '.repeat(2000)}}`);
    const answer = await rawExchange(port, `GET /graphql?query=${query} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${gw.tokens.service}\r\n\r\n`);
    expect(answer.status).toBe(431);
    expect((await get({ query: EFFECTIVE, variables: { id: libraryId } })).status).toBe(200);
  });
});
