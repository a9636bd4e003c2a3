import { createConnection } from 'mysql2/promise';
import { SnapshotStore } from '../../src/snapshot/snapshot-store';
import { mysqlAvailable } from '../support/gateway';
import { PrivateMariaDb, privateMariaDbUnavailable, startPrivateMariaDb } from '../support/private-mariadb';
import { CREATE_LIBRARY, CREATE_SERVER, OpsGateway, startGatewayOn, UPDATE_LIBRARY, waitFor } from '../operations/helpers';

/**
 * A database that hangs (SIGSTOP) just as an instance starts replaying another instance's
 * changes: the instance keeps answering from its last snapshot, turns stale when the replay is
 * cut by the query timeout, and catches up once the database answers again. A question about the
 * past during the hang fails as an outage, within the query timeout.
 */
const TIMEOUTS = { queryMs: 800, acquireMs: 800, checkMs: 300 };

const cannotRun = privateMariaDbUnavailable() ?? (mysqlAvailable() ? null : 'MySQL/MariaDB is not available for this run (see the global set-up message)');
if (cannotRun) console.warn(`*** catch-up hang tests SKIPPED: ${cannotRun}`);
const describeIfMariaDb = cannotRun ? describe.skip : describe;

const NAME = `query NameDuringHang($libraryId: ID!, $at: DateTime) { effectiveMailConfig(libraryId: $libraryId, at: $at) { library { name } stale } }`;

describeIfMariaDb('a database that hangs during a catch-up from the change log [private mariadb]', () => {
  let db: PrivateMariaDb | null = null;
  let writer: OpsGateway | null = null;
  let reader: OpsGateway | null = null;
  let libraryId = '';
  let before = new Date();

  beforeAll(async () => {
    db = await startPrivateMariaDb();
    const admin = await createConnection({ uri: db.url(), connectTimeout: 3000 });
    await admin.query('CREATE DATABASE mcg_catchup CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
    await admin.end();
    const database = { type: 'mysql' as const, url: db.url('mcg_catchup'), timeouts: TIMEOUTS };
    writer = await startGatewayOn(database, { cache: { enabled: true, refreshMs: 0 } });
    reader = await startGatewayOn(database, { cache: { enabled: true, refreshMs: 0 }, migrationsRun: false });
    const server = (await writer.ok<any>(CREATE_SERVER, { input: { name: 'Hang relay', host: 'hang.example.org', port: 587 } })).createSmtpServer;
    const input = { code: 'CATCHUP', name: 'Before the hang', contactEmail: 'c@example.org', smtpServerId: server.id };
    libraryId = (await writer.ok<any>(CREATE_LIBRARY, { input })).createLibrary.id;
    await new Promise((resolve) => setTimeout(resolve, 5));
    before = new Date();
    await reader.services.snapshots!.refresh();
  }, 60_000);

  afterAll(async () => {
    if (db?.running) db.resume();
    await reader?.close().catch(() => undefined);
    await writer?.close().catch(() => undefined);
    await db?.cleanup();
  }, 30_000);

  it('reads stay served from the last snapshot, turn stale when the replay is cut, and recover after SIGCONT', async () => {
    await writer!.ok(UPDATE_LIBRARY, { id: libraryId, input: { name: 'After the hang' } });
    const store = reader!.services.snapshots!;
    const catchUp = (SnapshotStore.prototype as unknown as { catchUp: () => Promise<void> }).catchUp;
    // the hang starts after the revision check saw the new revision, as the replay begins
    const spy = jest.spyOn(store as unknown as { catchUp: () => Promise<void> }, 'catchUp').mockImplementationOnce(function (this: SnapshotStore) {
      db!.pause();
      return catchUp.call(this);
    });
    const refreshing = store.refresh();
    const during = await reader!.gql<any>(NAME, { libraryId });
    expect(during.data!.effectiveMailConfig.library.name).toBe('Before the hang');
    await refreshing;
    expect(spy).toHaveBeenCalled();
    expect(store.stale).toBe(true);
    const stale = await reader!.gql<any>(NAME, { libraryId });
    expect(stale.data!.effectiveMailConfig).toEqual({ library: { name: 'Before the hang' }, stale: true });

    const past = await reader!.gql<any>(NAME, { libraryId, at: before.toISOString() });
    expect(past.errors![0].extensions!.code).toBe('SERVICE_UNAVAILABLE');

    db!.resume();
    await waitFor(
      'the reader to catch up',
      async () => {
        await store.refresh();
        return store.stale ? undefined : true;
      },
      10_000,
    );
    const after = await reader!.gql<any>(NAME, { libraryId });
    expect(after.data!.effectiveMailConfig).toEqual({ library: { name: 'After the hang' }, stale: false });
    const then = await reader!.gql<any>(NAME, { libraryId, at: before.toISOString() });
    expect(then.data!.effectiveMailConfig.library.name).toBe('Before the hang');
  }, 60_000);
});
