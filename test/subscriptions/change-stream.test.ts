import { signToken } from '../../src/auth/token-verifier';
import { describeEachDatabase, TEST_JWT_SECRET, TestGateway, WITH_SNAPSHOT } from '../support/gateway';
import { createChain, createDepartment, createLibrary, createServer, unique } from '../support/fixtures';
import { DELETE_DEPARTMENT, DELETE_LIBRARY } from '../support/documents';
import { connectSubscriptions, MAIL_CONFIG_CHANGED, SubscriptionClient, until } from '../support/subscriptions';

/**
 * The change stream (subscriptions over graphql-ws on /graphql): a real HTTP server, the real
 * graphql-ws client over `ws`, real tokens, on SQLite and MariaDB.
 */

const UPDATE_LIBRARY_SERVER = `mutation UpdateLibraryServer($id: ID!, $server: ID) { updateLibrary(id: $id, input: { smtpServerId: $server }) { id } }`;
const UPDATE_LIBRARY_NAME = `mutation UpdateLibraryName($id: ID!, $name: String!) { updateLibrary(id: $id, input: { name: $name }) { id } }`;

const UPDATE_CONTACT = `mutation UpdateContact($id: ID!, $email: String) { updateLibrary(id: $id, input: { contactEmail: $email }) { id } }`;

const names = (result: any) => result.data.effectiveMailConfigChanged.servers.map((s: any) => s.name);

describeEachDatabase(
  'the change stream of effective configurations',
  (gw) => {
    const clients: SubscriptionClient[] = [];
    const connect = (token: string | null, params?: Record<string, unknown>) => {
      const client = connectSubscriptions(gw().url, token, params);
      clients.push(client);
      return client;
    };
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      const [primary] = await createChain(gw(), [{ name: unique('Primary') }, { name: unique('Secondary') }]);
      ids.primary = primary.id;
      ids.other = (await createServer(gw(), { name: unique('Other') })).id;
      ids.library = (await createLibrary(gw(), { contactEmail: 'notices@stream.example.org', smtpServerId: primary.id })).id;
      ids.unrelated = (await createLibrary(gw(), { contactEmail: 'other@stream.example.org', smtpServerId: primary.id })).id;
    });

    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.dispose()));
      // The server sees the sockets close a moment later; each test starts from no subscription.
      await until('every subscription to end', () => gw().services.mailConfigChanges.open === 0);
    });

    it('sends the current configuration first, then the new chain with a higher revision; an unrelated write sends nothing', async () => {
      const subscription = connect(gw().tokens.service).subscribe(MAIL_CONFIG_CHANGED, { libraryId: ids.library });
      const first = await subscription.next();
      expect(first.errors).toBeUndefined();
      const config = first.data!.effectiveMailConfigChanged;
      expect(names(first)).toHaveLength(2);
      expect(config.sender.address).toBe('notices@stream.example.org');
      expect(config.stale).toBe(false);

      const hub = gw().services.mailConfigChanges;
      const before = hub.resolutions;
      await gw().ok(UPDATE_LIBRARY_NAME, { id: ids.unrelated, name: unique('Renamed') });
      // The write was seen (this key resolved again) and the answer did not change: nothing queued.
      await until('the unrelated write to be resolved', () => hub.resolutions > before);
      expect(subscription.queued).toBe(0);

      await gw().ok(UPDATE_LIBRARY_SERVER, { id: ids.library, server: ids.other });
      const update = await subscription.next();
      expect(names(update)).toHaveLength(1);
      expect(update.data!.effectiveMailConfigChanged.servers[0].id).toBe(ids.other);
      expect(update.data!.effectiveMailConfigChanged.revision).toBeGreaterThan(config.revision);
      expect(subscription.queued).toBe(0);
    });

    it('sends an update when a server of the chain goes DOWN, though no revision moved', async () => {
      const [head, fallback] = await createChain(gw(), [{ name: unique('Probed') }, { name: unique('Fallback') }]);
      const library = (await createLibrary(gw(), { contactEmail: 'probed@stream.example.org', smtpServerId: head.id })).id;
      const subscription = connect(gw().tokens.service).subscribe(MAIL_CONFIG_CHANGED, { libraryId: library });
      const first = (await subscription.next()).data!.effectiveMailConfigChanged;
      expect(first.problems).toEqual([]);
      const failed = {
        ok: false,
        reachedStage: 'CONNECT',
        errorCode: 'CONNECTION_FAILED',
        responseCode: null,
        enhancedStatus: null,
        message: null,
        durationMs: 1,
      };
      // Two failed checks in a row make a server DOWN (as the scheduled probes would record them).
      await gw().services.health.record(Number(head.id), failed as any);
      await gw().services.health.record(Number(head.id), failed as any);
      const down = (await subscription.next()).data!.effectiveMailConfigChanged;
      // No later server is known UP yet: an error.
      expect(down.problems).toEqual([{ code: 'SERVER_DOWN', severity: 'ERROR' }]);
      expect(down.revision).toBe(first.revision);
      expect(down.servers.map((s: any) => s.id)).toEqual([head.id, fallback.id]);
      await gw().services.health.record(Number(fallback.id), { ...failed, ok: true, reachedStage: 'DONE', errorCode: null } as any);
      const fallbackUp = (await subscription.next()).data!.effectiveMailConfigChanged;
      expect(fallbackUp.problems).toEqual([{ code: 'SERVER_DOWN', severity: 'WARNING' }]);
    });

    it('N subscribers of one (library, department, purpose) cost one resolution per change, and the gauge counts them', async () => {
      const N = 30;
      const library = (await createLibrary(gw(), { contactEmail: 'dedup@stream.example.org', smtpServerId: ids.primary })).id;
      const hub = gw().services.mailConfigChanges;
      const connections = [connect(gw().tokens.service), connect(gw().tokens.service), connect(gw().tokens.support)];
      const before = hub.resolutions;
      const subscriptions = Array.from({ length: N }, (_, i) => connections[i % 3].subscribe(MAIL_CONFIG_CHANGED, { libraryId: library }));
      const firsts = await Promise.all(subscriptions.map((s) => s.next()));
      expect(firsts.every((r) => r.data?.effectiveMailConfigChanged.sender.address === 'dedup@stream.example.org')).toBe(true);
      expect(hub.resolutions - before).toBe(1);
      expect(await metric(gw(), 'mail_gateway_subscriptions_open')).toBe(N);

      for (const email of ['dedup2@stream.example.org', 'dedup3@stream.example.org']) {
        const start = hub.resolutions;
        await gw().ok(UPDATE_CONTACT, { id: library, email });
        const updates = await Promise.all(subscriptions.map((s) => s.next()));
        expect(updates.every((r) => r.data?.effectiveMailConfigChanged.sender.address === email)).toBe(true);
        expect(hub.resolutions - start).toBe(1);
      }
      expect(await metric(gw(), 'mail_gateway_subscription_resolutions_total')).toBeGreaterThanOrEqual(3);
    });

    it('closes with 4401 without a token, with a malformed or bad one, and when the token expires; 4403 for a role that may not read', async () => {
      const refused = async (client: SubscriptionClient) => {
        const ending = await client.subscribe(MAIL_CONFIG_CHANGED, { libraryId: ids.library }).ended;
        expect('error' in ending).toBe(true);
        return client.closed;
      };
      expect((await refused(connect(null))).code).toBe(4401);
      expect((await refused(connect(null, { authorization: 'Basic dXNlcjpwYXNz' }))).code).toBe(4401);
      const bad = await refused(connect('not-a-token'));
      expect(bad).toEqual({ code: 4401, reason: 'The bearer token is invalid or expired' });
      const otherSecret = await signToken('another-secret-that-is-at-least-32-bytes!', { sub: 'x', roles: ['service'] });
      expect((await refused(connect(otherSecret))).code).toBe(4401);
      const noRoles = await gw().token({ sub: 'nobody', roles: [] });
      expect(await refused(connect(noRoles))).toEqual({ code: 4403, reason: 'Your roles do not allow subscriptions (read effective)' });

      // Valid for one to two seconds: accepted, answered, then closed at its exp.
      const shortLived = await signToken(TEST_JWT_SECRET, { sub: 'short', roles: ['service'] }, {}, '2s');
      const client = connect(shortLived);
      const subscription = client.subscribe(MAIL_CONFIG_CHANGED, { libraryId: ids.library });
      expect((await subscription.next()).data?.effectiveMailConfigChanged).toBeDefined();
      expect(await client.closed).toEqual({ code: 4401, reason: 'The bearer token has expired' });
    });

    it('checks each subscription against the role matrix: a library-admin gets FORBIDDEN for a foreign and for an unknown library', async () => {
      const admin = await gw().token({ sub: 'admin-own', roles: ['library-admin'], libraries: [Number(ids.library)] });
      const client = connect(admin);
      const own = client.subscribe(MAIL_CONFIG_CHANGED, { libraryId: ids.library });
      expect((await own.next()).data?.effectiveMailConfigChanged.servers[0].id).toBe(ids.other);
      for (const libraryId of [ids.unrelated, '999999', 'not-an-id']) {
        const foreign = client.subscribe(MAIL_CONFIG_CHANGED, { libraryId });
        const result = await foreign.next();
        expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
        expect(result.errors?.[0].message).not.toContain(libraryId);
        expect(await foreign.ended).toEqual({ completed: true });
      }
      // support may read any library: an unknown one is NOT_FOUND, as with the query
      const missing = await connect(gw().tokens.support).subscribe(MAIL_CONFIG_CHANGED, { libraryId: '999999' }).next();
      expect(missing.errors?.[0].extensions?.code).toBe('NOT_FOUND');
      // the connection of the library-admin stays open for its own library
      await gw().ok(UPDATE_CONTACT, { id: ids.library, email: 'changed@stream.example.org' });
      expect((await own.next()).data?.effectiveMailConfigChanged.sender.address).toBe('changed@stream.example.org');
    });

    it('ends a subscription with NOT_FOUND when its department or library is deleted', async () => {
      const library = (await createLibrary(gw(), { contactEmail: 'gone@stream.example.org' })).id;
      const department = (await createDepartment(gw(), library, { email: 'desk@stream.example.org' })).id;
      const client = connect(gw().tokens.service);
      const byDepartment = client.subscribe(MAIL_CONFIG_CHANGED, { libraryId: library, departmentId: department });
      const byLibrary = client.subscribe(MAIL_CONFIG_CHANGED, { libraryId: library, purpose: 'INTERLIBRARY_LOAN' });
      expect((await byDepartment.next()).data?.effectiveMailConfigChanged.sender.address).toBe('desk@stream.example.org');
      await byLibrary.next();

      await gw().ok(DELETE_DEPARTMENT, { id: department });
      const departmentGone = await byDepartment.next();
      expect(departmentGone.errors?.[0]).toMatchObject({
        message: `Department ${department} was deleted; this subscription has ended`,
        extensions: { code: 'NOT_FOUND', type: 'Department', id: department },
      });
      expect(await byDepartment.ended).toEqual({ completed: true });

      await gw().ok(DELETE_LIBRARY, { id: library });
      const libraryGone = await byLibrary.next();
      expect(libraryGone.errors?.[0]).toMatchObject({
        message: `Library ${library} was deleted; this subscription has ended`,
        extensions: { code: 'NOT_FOUND' },
      });
      expect(await byLibrary.ended).toEqual({ completed: true });
    });

    it('applies the query limits to subscription documents and serves only subscriptions', async () => {
      const client = connect(gw().tokens.support);
      const codes = async (query: string) => {
        const ending: any = await client.subscribe(query, { libraryId: ids.library }).ended;
        return (ending.error as Array<{ extensions?: { code?: string } }>).map((e) => e.extensions?.code);
      };
      const deep = `subscription Deep($libraryId: ID!) { effectiveMailConfigChanged(libraryId: $libraryId) { servers { ${'nextServer { '.repeat(12)}id${' }'.repeat(12)} } } }`;
      expect(await codes(deep)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: revision`).join(' ');
      expect(await codes(`subscription Aliases($libraryId: ID!) { effectiveMailConfigChanged(libraryId: $libraryId) { ${aliases} } }`)).toEqual([
        'GRAPHQL_VALIDATION_FAILED',
      ]);
      expect(await codes(`query Q($libraryId: ID!) { effectiveMailConfig(libraryId: $libraryId) { revision } }`)).toEqual(['BAD_REQUEST']);
      expect(await codes(`subscription { nope }`)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      // and over HTTP a subscription is refused, naming where it is served
      const overHttp = await gw().gql(MAIL_CONFIG_CHANGED, { libraryId: ids.library });
      expect(overHttp.errors?.[0].extensions?.code).toBe('BAD_REQUEST');
    });
  },
  WITH_SNAPSHOT,
  ', snapshot',
);

describeEachDatabase('the change stream without the configuration snapshot (CONFIG_CACHE=false)', (gw) => {
  it('sends the current configuration first and an update after a write', async () => {
    const server = await createServer(gw(), { name: unique('Polled') });
    const library = (await createLibrary(gw(), { contactEmail: 'polled@stream.example.org', smtpServerId: server.id })).id;
    const client = connectSubscriptions(gw().url, gw().tokens.service);
    try {
      const subscription = client.subscribe(MAIL_CONFIG_CHANGED, { libraryId: library });
      const first = (await subscription.next()).data!.effectiveMailConfigChanged;
      expect(first.servers.map((s: any) => s.id)).toEqual([server.id]);
      await gw().ok(UPDATE_CONTACT, { id: library, email: 'polled2@stream.example.org' });
      const update = (await subscription.next()).data!.effectiveMailConfigChanged;
      expect(update.sender.address).toBe('polled2@stream.example.org');
      expect(update.revision).toBeGreaterThan(first.revision);
    } finally {
      await client.dispose();
    }
  });
});

async function metric(gw: TestGateway, name: string): Promise<number | null> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const match = new RegExp(`^${name} ([0-9.e+]+)$`, 'm').exec(text);
  return match ? Number(match[1]) : null;
}
