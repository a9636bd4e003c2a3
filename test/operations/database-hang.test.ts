import { createConnection } from 'mysql2/promise';
import { mysqlAvailable } from '../support/gateway';
import { PrivateMariaDb, privateMariaDbUnavailable, startPrivateMariaDb } from '../support/private-mariadb';
import { CREATE_LIBRARY, CREATE_SERVER, EFFECTIVE, OpsGateway, sleep, startGatewayOn, UPDATE_LIBRARY, waitFor } from './helpers';

/**
 * A database that hangs is an outage: MariaDB is stopped with SIGSTOP (the kernel still accepts
 * connections and bytes, nothing answers, as in a network partition) while a gateway runs on it
 * with millisecond timeouts. Reads turn stale, /readyz says 503 at once, a write fails within the
 * query timeout, and after SIGCONT the failed write is not in the database.
 */
const TIMEOUTS = { queryMs: 800, acquireMs: 800, checkMs: 300 };
const REFRESH_MS = 100;

const cannotRun = privateMariaDbUnavailable() ?? (mysqlAvailable() ? null : 'MySQL/MariaDB is not available for this run (see the global set-up message)');
if (cannotRun) console.warn(`*** database hang tests SKIPPED: ${cannotRun}`);
const describeIfMariaDb = cannotRun ? describe.skip : describe;

describeIfMariaDb('a database that hangs (SIGSTOP) is an outage, and a failed write is never applied later [private mariadb]', () => {
  let db: PrivateMariaDb | null = null;
  let gw: OpsGateway | null = null;
  let libraryId = '';

  const effective = async () => {
    const result = await gw!.gql<any>(EFFECTIVE, { libraryId });
    if (result.errors?.length) throw new Error(`effectiveMailConfig failed: ${JSON.stringify(result.errors)}`);
    return result.data!.effectiveMailConfig;
  };
  const timed = async <T>(work: () => Promise<T>) => {
    const started = Date.now();
    const value = await work();
    return { value, ms: Date.now() - started };
  };
  const directly = async <T>(sql: string): Promise<T[]> => {
    const connection = await createConnection({ uri: db!.url('mcg_hang'), connectTimeout: 3000 });
    try {
      return (await connection.query(sql))[0] as T[];
    } finally {
      await connection.end();
    }
  };

  beforeAll(async () => {
    db = await startPrivateMariaDb();
    const admin = await createConnection({ uri: db.url(), connectTimeout: 3000 });
    await admin.query('CREATE DATABASE mcg_hang CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
    await admin.end();
    gw = await startGatewayOn({ type: 'mysql', url: db.url('mcg_hang'), timeouts: TIMEOUTS }, { cache: { enabled: true, refreshMs: REFRESH_MS } });
    const server = (await gw.ok<any>(CREATE_SERVER, { input: { name: 'Main relay', host: 'main.example.org', port: 587 } })).createSmtpServer;
    libraryId = (
      await gw.ok<any>(CREATE_LIBRARY, {
        input: { code: 'HANG', name: 'Hang Library', shortName: 'Before', contactEmail: 'info@hang.example.org', smtpServerId: server.id },
      })
    ).createLibrary.id;
  }, 60_000);

  afterAll(async () => {
    if (db?.running) db.resume();
    await gw?.close().catch(() => undefined);
    await db?.cleanup();
  }, 30_000);

  it('while the database answers, /readyz is 200 and reads are not stale', async () => {
    expect((await gw!.get('/readyz')).status).toBe(200);
    expect((await effective()).stale).toBe(false);
  });

  it('under SIGSTOP, reads turn stale: true within about the revision-check timeout, and /readyz answers 503 within 2 s', async () => {
    db!.pause();
    const stale = await waitFor('effectiveMailConfig to turn stale', async () => ((await effective()).stale ? true : undefined), 5000);
    console.log(`database hang: stale: true after ${stale.ms} ms (check timeout ${TIMEOUTS.checkMs} ms, refresh every ${REFRESH_MS} ms)`);
    expect(stale.ms).toBeLessThan(TIMEOUTS.checkMs + REFRESH_MS + 1500);

    const ready = await timed(() => gw!.get('/readyz'));
    expect(ready.value.status).toBe(503);
    expect(JSON.parse(ready.value.text)).toMatchObject({ status: 'not ready', snapshot: 'stale' });
    expect(JSON.parse(ready.value.text).database).toMatch(/^unreachable/);
    expect(ready.ms).toBeLessThan(2000);
  });

  it('a write during the hang fails with SERVICE_UNAVAILABLE within the query timeout, not outcome UNKNOWN', async () => {
    const attempts = await Promise.all([
      timed(() => gw!.gql<any>(UPDATE_LIBRARY, { id: libraryId, input: { shortName: 'During hang' } })),
      timed(() => gw!.gql<any>(CREATE_SERVER, { input: { name: 'During hang', host: 'hang.example.org', port: 587 } })),
    ]);
    for (const { value, ms } of attempts) {
      expect(value.errors?.[0]?.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });
      expect(value.errors?.[0]?.message).toMatch(/nothing was changed/);
      // Two writes queue one behind the other: each is bounded by the query timeout.
      expect(ms).toBeLessThan(2 * TIMEOUTS.queryMs + 1500);
    }
  });

  it('after SIGCONT the gateway recovers, and the writes answered as failed are not in the database', async () => {
    db!.resume();
    const ready = await waitFor('/readyz to recover', async () => ((await gw!.get('/readyz')).status === 200 ? true : undefined), 8000);
    await waitFor('reads to be fresh again', async () => ((await effective()).stale ? undefined : true), 8000);
    console.log(`database hang: /readyz 200 again ${ready.ms} ms after SIGCONT`);
    // Whatever reached the stopped server has been read by now; give it a moment more to act on it.
    await sleep(500);
    expect(await directly<{ shortName: string }>(`SELECT shortName FROM library WHERE code = 'HANG'`)).toEqual([{ shortName: 'Before' }]);
    expect(await directly(`SELECT id FROM smtp_server WHERE name = 'During hang'`)).toEqual([]);

    const updated = await gw!.ok<any>(UPDATE_LIBRARY, { id: libraryId, input: { shortName: 'After' } });
    expect(updated.updateLibrary.version).toBe(2);
    expect(await directly<{ shortName: string }>(`SELECT shortName FROM library WHERE code = 'HANG'`)).toEqual([{ shortName: 'After' }]);
  });
});
