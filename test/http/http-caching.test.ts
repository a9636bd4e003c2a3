import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signToken } from '../../src/auth/token-verifier';
import { VERIFY_SMTP_SERVER } from '../support/documents';
import { createLibrary, createServer, unique } from '../support/fixtures';
import { DatabaseKind, mysqlAvailable, startTestGateway, TEST_JWT_SECRET, TestGateway, WITH_SNAPSHOT } from '../support/gateway';
import { closedPort, HOST } from '../transport/smtp-fixtures';

/**
 * Reads of the effective configuration cacheable over HTTP: queries over GET (CSRF prevention
 * still on), automatic persisted queries (Apollo's protocol) and entity tags with 304 Not
 * Modified, through real HTTP with real tokens. Two instances share one database, as behind a
 * load balancer, to show that a tag does not depend on the process that gave it.
 */

const EFFECTIVE = `query Effective($id: ID!) { effectiveMailConfig(libraryId: $id) { revision stale servers { name } sender { formatted } problems { code severity } } }`;
const TRANSPORT = `query Transport($id: ID!) { effectiveMailConfig(libraryId: $id) { servers { transport { host port } } } }`;
const PREFLIGHT = { 'apollo-require-preflight': 'true' };

interface Params {
  query?: string;
  operationName?: string;
  variables?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

interface GetOptions {
  token?: string | null;
  preflight?: boolean;
  headers?: Record<string, string>;
}

function searchOf(params: Params): string {
  const search = new URLSearchParams();
  if (params.query !== undefined) search.set('query', params.query);
  if (params.operationName !== undefined) search.set('operationName', params.operationName);
  if (params.variables) search.set('variables', JSON.stringify(params.variables));
  if (params.extensions) search.set('extensions', JSON.stringify(params.extensions));
  return search.toString();
}

async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: text ? JSON.parse(text) : null };
}

async function get(gw: TestGateway, params: Params, { token = gw.tokens.service, preflight = true, headers = {} }: GetOptions = {}): Promise<Answer> {
  const all: Record<string, string> = { ...(preflight ? PREFLIGHT : {}), ...headers };
  if (token) all.authorization = `Bearer ${token}`;
  return answerOf(await fetch(`${gw.url}/graphql?${searchOf(params)}`, { headers: all }));
}

async function post(gw: TestGateway, params: Params, token: string | null = gw.tokens.service): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  return answerOf(await fetch(`${gw.url}/graphql`, { method: 'POST', headers, body: JSON.stringify(params) }));
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const persisted = (query: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256(query) } });

async function metric(gw: TestGateway, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  return Number(pattern.exec(text)?.[1] ?? 0);
}
/** How many effective configurations were resolved: unchanged when a request was answered without running. */
const resolutions = (gw: TestGateway) => metric(gw, /^mail_gateway_config_cache_lookups_total\{result="hit"\} (\d+)$/m);
const notModified = (gw: TestGateway) => metric(gw, /^mail_gateway_not_modified_total (\d+)$/m);

/** Two gateways on one database: a file for SQLite, a fresh database on MariaDB. */
async function startPair(kind: DatabaseKind): Promise<{ a: TestGateway; b: TestGateway; close: () => Promise<void> }> {
  const dir = kind === 'sqlite' ? mkdtempSync(join(tmpdir(), 'mcg-http-cache-')) : null;
  const database = dir ? { database: { type: 'sqlite' as const, path: join(dir, 'gateway.sqlite') } } : {};
  const a = await startTestGateway(kind, { ...WITH_SNAPSHOT, ...database });
  const b = await startTestGateway(kind, { ...WITH_SNAPSHOT, database: a.config.database });
  return {
    a,
    b,
    async close() {
      await b.close();
      await a.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

for (const kind of ['sqlite', 'mysql'] as const) {
  const run = kind === 'sqlite' || mysqlAvailable() ? describe : describe.skip;
  run(`HTTP caching of configuration reads: GET, persisted queries, ETag [${kind}, snapshot, two instances]`, () => {
    let pair: Awaited<ReturnType<typeof startPair>>;
    let gw: TestGateway;
    let libraryId: string;
    let otherLibraryId: string;
    const variables = () => ({ id: libraryId });

    beforeAll(async () => {
      pair = await startPair(kind);
      gw = pair.a;
      const server = await createServer(gw, { name: unique('Relay'), host: 'relay.example.org', port: 587, allowTls: true });
      libraryId = (await createLibrary(gw, { code: unique('HTTP'), contactEmail: 'http@example.org', smtpServerId: server.id })).id;
      otherLibraryId = (await createLibrary(gw, { code: unique('OTHER'), contactEmail: 'other@example.org', smtpServerId: server.id })).id;
      await pair.b.services.snapshots!.refresh();
    });

    afterAll(async () => {
      await pair?.close();
    });

    describe('queries over GET', () => {
      it('refuses a GET without a CSRF preflight header and answers it with apollo-require-preflight', async () => {
        const refused = await get(gw, { query: EFFECTIVE, variables: variables() }, { preflight: false });
        expect(refused.status).toBe(400);
        expect(refused.body.errors[0].extensions.code).toBe('BAD_REQUEST');
        expect(refused.body.errors[0].message).toMatch(/Cross-Site Request Forgery/);
        const answered = await get(gw, { query: EFFECTIVE, variables: variables() });
        expect(answered.status).toBe(200);
        expect(answered.body.data.effectiveMailConfig.sender.formatted).toBe('http@example.org');
      });

      it('still refuses a GET without the preflight header once the same query is in the response cache', async () => {
        const query = `query Cached($id: ID!) { effectiveMailConfig(libraryId: $id) { sender { address } } }`;
        expect((await get(gw, { query, variables: variables() })).status).toBe(200);
        expect((await get(gw, { query, variables: variables() })).status).toBe(200);
        const refused = await get(gw, { query, variables: variables() }, { preflight: false });
        expect(refused.status).toBe(400);
        expect(refused.body.errors[0].message).toMatch(/Cross-Site Request Forgery/);
      });

      it('answers a GET with variables and an operation name as the same POST would', async () => {
        const params = { query: `${EFFECTIVE} query Other { libraries { id } }`, operationName: 'Effective', variables: { id: otherLibraryId } };
        const viaGet = await get(gw, params);
        const viaPost = await post(gw, params);
        expect(viaGet.status).toBe(200);
        expect(viaGet.body).toEqual(viaPost.body);
        expect(viaGet.body.data.effectiveMailConfig.sender.formatted).toBe('other@example.org');
      });

      it('refuses a mutation over GET with 405 and changes nothing (GraphQL over HTTP)', async () => {
        const mutation = `mutation($id: ID!) { updateLibrary(id: $id, input: { shortName: "Changed over GET" }) { shortName } }`;
        const refused = await get(gw, { query: mutation, variables: variables() }, { token: gw.tokens.support });
        expect(refused.status).toBe(405);
        expect(refused.headers.get('allow')).toBe('POST');
        expect(refused.headers.get('etag')).toBeNull();
        const library = await gw.ok<any>(`query($id: ID!) { library(id: $id) { shortName } }`, variables());
        expect(library.library.shortName).toBeNull();
      });
    });

    describe('automatic persisted queries', () => {
      it('answers an unknown hash with PERSISTED_QUERY_NOT_FOUND, then the query with its hash, then the hash alone over POST and GET', async () => {
        const query = `query ApqRoundTrip($id: ID!) { effectiveMailConfig(libraryId: $id) { sender { formatted } } }`;
        const hashOnly = { extensions: persisted(query), variables: variables() };
        const unknown = await post(gw, hashOnly);
        expect(unknown.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
        expect(unknown.body.errors[0].message).toBe('PersistedQueryNotFound');
        expect((await get(gw, hashOnly)).body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');

        const registered = await post(gw, { query, ...hashOnly });
        expect(registered.status).toBe(200);
        const expected = { data: { effectiveMailConfig: { sender: { formatted: 'http@example.org' } } } };
        expect(registered.body).toEqual(expected);
        expect((await post(gw, hashOnly)).body).toEqual(expected);
        const viaGet = await get(gw, hashOnly);
        expect(viaGet.body).toEqual(expected);
        expect(viaGet.headers.get('etag')).toMatch(/^W\/"[A-Za-z0-9_-]+"$/);
      });

      it('refuses a query sent with a hash that is not its SHA-256, and keeps nothing under either hash', async () => {
        const query = `query ApqWrongHash($id: ID!) { effectiveMailConfig(libraryId: $id) { sender { address } } }`;
        const wrong = { persistedQuery: { version: 1, sha256Hash: sha256(`${query} `) } };
        const refused = await post(gw, { query, variables: variables(), extensions: wrong });
        expect(refused.status).toBe(400);
        expect(refused.body.errors[0].extensions).toEqual({ code: 'BAD_REQUEST', field: 'extensions.persistedQuery.sha256Hash' });
        expect(refused.text).not.toContain(wrong.persistedQuery.sha256Hash);
        for (const extensions of [wrong, persisted(query)]) {
          expect((await post(gw, { variables: variables(), extensions })).body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
        }
        expect(gw.logLines.some((line) => line.includes('unexpected error'))).toBe(false);
      });

      it('answers a persisted query without a token with 401 and stores nothing', async () => {
        const query = `query ApqAnonymous($id: ID!) { effectiveMailConfig(libraryId: $id) { sender { name } } }`;
        const withQuery = { query, variables: variables(), extensions: persisted(query) };
        const anonymous = await post(gw, withQuery, null);
        expect(anonymous.status).toBe(401);
        expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
        expect((await get(gw, withQuery, { token: null })).status).toBe(401);
        const hashOnly = await post(gw, { variables: variables(), extensions: persisted(query) });
        expect(hashOnly.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      });
    });

    describe('ETag and If-None-Match on snapshot-only GET queries', () => {
      it('gives the same request the same tag and answers If-None-Match with 304, no body, without running the query', async () => {
        const first = await get(gw, { query: EFFECTIVE, variables: variables() });
        const second = await get(gw, { query: EFFECTIVE, variables: variables() });
        const etag = first.headers.get('etag');
        expect(etag).toMatch(/^W\/"[A-Za-z0-9_-]{22}"$/);
        expect(second.headers.get('etag')).toBe(etag);
        expect(first.headers.get('cache-control')).toBe('private, no-cache');
        expect(first.headers.get('vary')).toBe('Origin, Accept, Authorization');

        const [resolvedBefore, skippedBefore] = [await resolutions(gw), await notModified(gw)];
        const revalidated = await get(gw, { query: EFFECTIVE, variables: variables() }, { headers: { 'if-none-match': etag! } });
        expect(revalidated.status).toBe(304);
        expect(revalidated.text).toBe('');
        expect(revalidated.headers.get('etag')).toBe(etag);
        expect(revalidated.headers.get('cache-control')).toBe('private, no-cache');
        expect(await resolutions(gw)).toBe(resolvedBefore);
        expect(await notModified(gw)).toBe(skippedBefore + 1);
        const listed = await get(gw, { query: EFFECTIVE, variables: variables() }, { headers: { 'if-none-match': `"other", ${etag}` } });
        expect(listed.status).toBe(304);
      });

      it('gives the same tag on another instance at the same revision, which answers 304 without running the query', async () => {
        await pair.b.services.snapshots!.refresh();
        const etag = (await get(gw, { query: EFFECTIVE, variables: variables() })).headers.get('etag')!;
        const onB = await get(pair.b, { query: EFFECTIVE, variables: variables() }, { token: await freshServiceToken() });
        expect(onB.status).toBe(200);
        expect(onB.headers.get('etag')).toBe(etag);
        const resolvedBefore = await resolutions(pair.b);
        const query = `query Fresh($id: ID!) { effectiveMailConfig(libraryId: $id) { servers { name } } }`;
        const fresh = (await get(gw, { query, variables: variables() })).headers.get('etag')!;
        const revalidated = await get(pair.b, { query, variables: variables() }, { headers: { 'if-none-match': fresh } });
        expect(revalidated.status).toBe(304);
        expect(await resolutions(pair.b)).toBe(resolvedBefore);
      });

      it('keys the tag on the caller, the variables and the accept header', async () => {
        const reference = (await get(gw, { query: EFFECTIVE, variables: variables() })).headers.get('etag');
        const admin = await gw.token({ sub: 'admin-http', roles: ['library-admin'], libraries: [Number(libraryId)] });
        const byAdmin = await get(gw, { query: EFFECTIVE, variables: variables() }, { token: admin });
        expect(byAdmin.status).toBe(200);
        expect(byAdmin.headers.get('etag')).not.toBe(reference);
        const bySupport = await get(gw, { query: EFFECTIVE, variables: variables() }, { token: gw.tokens.support });
        expect(new Set([reference, byAdmin.headers.get('etag'), bySupport.headers.get('etag')]).size).toBe(3);
        const otherCaller = await get(gw, { query: EFFECTIVE, variables: variables() }, { token: admin, headers: { 'if-none-match': reference! } });
        expect(otherCaller.status).toBe(200);
        expect((await get(gw, { query: EFFECTIVE, variables: { id: otherLibraryId } })).headers.get('etag')).not.toBe(reference);
        const modern = await get(gw, { query: EFFECTIVE, variables: variables() }, { headers: { accept: 'application/graphql-response+json' } });
        expect(modern.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
        expect(modern.headers.get('etag')).not.toBe(reference);
        const sameCaller = await get(gw, { query: EFFECTIVE, variables: variables() }, { token: await freshServiceToken() });
        expect(sameCaller.headers.get('etag')).toBe(reference);
      });

      it('changes the tag after a configuration write: the old tag gets 200 with the new answer', async () => {
        const before = await get(gw, { query: EFFECTIVE, variables: variables() });
        await gw.ok(`mutation($id: ID!) { updateLibrary(id: $id, input: { shortName: "After write" }) { id } }`, variables());
        const after = await get(gw, { query: EFFECTIVE, variables: variables() }, { headers: { 'if-none-match': before.headers.get('etag')! } });
        expect(after.status).toBe(200);
        expect(after.body.data.effectiveMailConfig.revision).toBeGreaterThan(before.body.data.effectiveMailConfig.revision);
        expect(after.body.data.effectiveMailConfig.sender.formatted).toBe('"After write" <http@example.org>');
        expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'));
      });

      it('changes the tag when a server of the chain goes DOWN, at the same revision', async () => {
        const down = await createServer(gw, { name: unique('Down'), host: HOST, port: await closedPort(), connectionTimeoutMs: 2000 });
        const library = await createLibrary(gw, { code: unique('DOWN'), contactEmail: 'down@example.org', smtpServerId: down.id });
        const before = await get(gw, { query: EFFECTIVE, variables: { id: library.id } });
        expect(before.body.data.effectiveMailConfig.problems).toEqual([]);
        for (let i = 0; i < 2; i++) expect((await gw.ok<any>(VERIFY_SMTP_SERVER, { id: down.id })).verifySmtpServer.ok).toBe(false);
        const after = await get(gw, { query: EFFECTIVE, variables: { id: library.id } }, { headers: { 'if-none-match': before.headers.get('etag')! } });
        expect(after.status).toBe(200);
        expect(after.body.data.effectiveMailConfig.problems).toEqual([{ code: 'SERVER_DOWN', severity: 'ERROR' }]);
        expect(after.body.data.effectiveMailConfig.revision).toBe(before.body.data.effectiveMailConfig.revision);
        expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'));
      });

      it('changes the tag while the snapshot is stale (the revision check fails) and returns to it afterwards', async () => {
        const snapshots = gw.services.snapshots!;
        await snapshots.refresh();
        const fresh = await get(gw, { query: EFFECTIVE, variables: variables() });
        const rename = (from: string, to: string) =>
          gw.dataSource.query(kind === 'mysql' ? `RENAME TABLE ${from} TO ${to}` : `ALTER TABLE ${from} RENAME TO ${to}`);
        await rename('config_revision', 'config_revision_away');
        try {
          await snapshots.refresh();
          expect(snapshots.stale).toBe(true);
          const stale = await get(gw, { query: EFFECTIVE, variables: variables() }, { headers: { 'if-none-match': fresh.headers.get('etag')! } });
          expect(stale.status).toBe(200);
          expect(stale.body.data.effectiveMailConfig.stale).toBe(true);
          expect(stale.headers.get('etag')).not.toBe(fresh.headers.get('etag'));
        } finally {
          await rename('config_revision_away', 'config_revision');
        }
        await snapshots.refresh();
        expect(snapshots.stale).toBe(false);
        expect((await get(gw, { query: EFFECTIVE, variables: variables() })).headers.get('etag')).toBe(fresh.headers.get('etag'));
      });

      it('gives no tag to an answer that reads transport secrets, to an error answer or to a mutation, and keeps them out of caches', async () => {
        const secrets = await get(gw, { query: TRANSPORT, variables: variables() }, { token: gw.tokens.credentials });
        expect(secrets.status).toBe(200);
        expect(secrets.body.data.effectiveMailConfig.servers[0].transport.host).toBe('relay.example.org');
        expect(secrets.headers.get('etag')).toBeNull();
        expect(secrets.headers.get('cache-control')).toBe('no-store');
        const wildcard = await get(gw, { query: TRANSPORT, variables: variables() }, { token: gw.tokens.credentials, headers: { 'if-none-match': '*' } });
        expect(wildcard.status).toBe(200);
        expect(wildcard.body.data.effectiveMailConfig.servers[0].transport.host).toBe('relay.example.org');
        const missing = await get(gw, { query: EFFECTIVE, variables: { id: '999999' } });
        expect(missing.body.errors[0].extensions.code).toBe('NOT_FOUND');
        expect(missing.headers.get('etag')).toBeNull();
        expect(missing.headers.get('cache-control')).toBe('no-store');
        const write = await post(
          gw,
          { query: `mutation($id: ID!) { updateLibrary(id: $id, input: { name: "Renamed" }) { name } }`, variables: variables() },
          gw.tokens.support,
        );
        expect(write.body.data.updateLibrary.name).toBe('Renamed');
        expect(write.headers.get('etag')).toBeNull();
      });
    });
  });
}

/** Another token of the test gateway's `service` caller (a later expiry, so not the same string). */
function freshServiceToken(): Promise<string> {
  return signToken(TEST_JWT_SECRET, { sub: 'service-1', roles: ['service'] }, {}, '11h');
}

describe('HTTP caching with the configuration snapshot off [sqlite]', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway('sqlite');
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('answers GET queries without a tag', async () => {
    const answer = await get(gw, { query: '{ libraries { id } }' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('etag')).toBeNull();
    expect(answer.headers.get('cache-control')).toBe('no-store');
  });
});
