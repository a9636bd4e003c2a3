import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseConfig } from '../../src/config';
import { readRevision } from '../../src/snapshot/snapshot-store';
import { describeEachDatabase, TestGateway, WITH_SNAPSHOT } from '../support/gateway';
import { insertNetwork, insertServer } from '../support/seed';
import {
  CREATE_DEPARTMENT,
  CREATE_LIBRARY,
  CREATE_SERVER,
  EFFECTIVE,
  metricValue,
  OpsGateway,
  sleep,
  startGatewayOn,
  UPDATE_LIBRARY,
  waitFor,
} from './helpers';

/**
 * Issue 7, point 1: the configuration snapshot cache. A warm resolution reads memory only, every
 * write bumps config_revision in its own transaction, the writer sees its write at once, other
 * instances within CONFIG_REFRESH_MS at the cost of one small query per interval.
 */

const ADMIN_LIST = `{
  libraries { departments { effectiveMailConfig { servers { name } sender { formatted } problems { code } } } }
}`;

async function revisionOf(gw: { dataSource: TestGateway['dataSource'] }): Promise<number> {
  return readRevision(gw.dataSource.manager);
}

const serverNames = (config: any) => config.servers.map((s: any) => s.name);

describeEachDatabase(
  'issue 7: configuration snapshot cache',
  (gw) => {
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      const g = gw();
      ids.secondary = (await g.ok<any>(CREATE_SERVER, { input: { name: 'Cache secondary', host: 'secondary.example.org', port: 587 } })).createSmtpServer.id;
      ids.primary = (
        await g.ok<any>(CREATE_SERVER, { input: { name: 'Cache primary', host: 'primary.example.org', port: 587, nextServerId: ids.secondary } })
      ).createSmtpServer.id;
      ids.other = (await g.ok<any>(CREATE_SERVER, { input: { name: 'Cache other', host: 'other.example.org', port: 587 } })).createSmtpServer.id;
      const library = (
        await g.ok<any>(CREATE_LIBRARY, {
          input: { code: 'CACHE', name: 'Cache Library', shortName: 'CL', contactEmail: 'info@cache.example.org', smtpServerId: ids.primary },
        })
      ).createLibrary;
      ids.library = library.id;
      ids.department = (
        await g.ok<any>(CREATE_DEPARTMENT, { input: { libraryId: ids.library, name: 'Loans', email: 'loans@cache.example.org' } })
      ).createDepartment.id;
    });

    it('issue 7: a warm effectiveMailConfig (departmentId and purpose) costs exactly 0 SQL statements', async () => {
      const variables = { libraryId: ids.library, departmentId: ids.department, purpose: 'INTERLIBRARY_LOAN' };
      const first = await gw().ok<any>(EFFECTIVE, variables);
      let warm: any;
      const statements = await gw().countStatements(async () => (warm = await gw().ok<any>(EFFECTIVE, variables)));
      expect(statements).toBe(0);
      expect(warm).toEqual(first);
      expect(serverNames(warm.effectiveMailConfig)).toEqual(['Cache primary', 'Cache secondary']);
      expect(warm.effectiveMailConfig.stale).toBe(false);
      // And it stays at zero however often it is asked.
      const many = await gw().countStatements(() => Promise.all(Array.from({ length: 20 }, () => gw().ok(EFFECTIVE, variables))));
      expect(many).toBe(0);
    });

    it('issue 7: the writing instance sees its own write at once (no polling: refreshMs 0)', async () => {
      expect(gw().services.snapshots).not.toBeNull();
      const before = (await gw().ok<any>(EFFECTIVE, { libraryId: ids.library })).effectiveMailConfig;
      expect(serverNames(before)).toEqual(['Cache primary', 'Cache secondary']);
      await gw().ok(UPDATE_LIBRARY, { id: ids.library, input: { smtpServerId: ids.other } });
      const after = (await gw().ok<any>(EFFECTIVE, { libraryId: ids.library })).effectiveMailConfig;
      expect(serverNames(after)).toEqual(['Cache other']);
      expect(gw().services.snapshots!.current!.revision).toBe(await revisionOf(gw()));
      await gw().ok(UPDATE_LIBRARY, { id: ids.library, input: { smtpServerId: ids.primary } });
      expect(serverNames((await gw().ok<any>(EFFECTIVE, { libraryId: ids.library })).effectiveMailConfig)).toEqual(['Cache primary', 'Cache secondary']);
    });

    it('issue 7: a failed mutation does not bump config_revision; a successful one bumps it by exactly one', async () => {
      const start = await revisionOf(gw());
      // Invalid input (rejected inside the write transaction).
      const invalid = await gw().gql(CREATE_LIBRARY, { input: { code: 'BAD CODE!', name: 'Invalid' } });
      expect(invalid.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(await revisionOf(gw())).toBe(start);
      // A reference to a missing server.
      const missing = await gw().gql(UPDATE_LIBRARY, { id: ids.library, input: { smtpServerId: '999999' } });
      expect(missing.errors?.length).toBeGreaterThan(0);
      expect(await revisionOf(gw())).toBe(start);
      // A stale expectedVersion fails after the row was read, still inside the transaction.
      const stale = await gw().gql(UPDATE_LIBRARY, { id: ids.library, input: { name: 'Renamed' }, expectedVersion: 1 });
      expect(stale.errors?.[0]?.extensions?.code).toBe('CONFLICT');
      expect(await revisionOf(gw())).toBe(start);
      expect(gw().services.snapshots!.current!.revision).toBe(start);

      await gw().ok(UPDATE_LIBRARY, { id: ids.library, input: { name: 'Cache Library renamed' } });
      expect(await revisionOf(gw())).toBe(start + 1);
      expect(gw().services.snapshots!.current!.revision).toBe(start + 1);
      await gw().ok(CREATE_DEPARTMENT, { input: { libraryId: ids.library, name: 'Reading room' } });
      expect(await revisionOf(gw())).toBe(start + 2);
    });

    it('issue 7: the admin list query costs the same small number of statements at 3 and 60 libraries', async () => {
      const { dataSource } = gw();
      const c = await insertServer(dataSource, { name: 'List C' });
      const b = await insertServer(dataSource, { name: 'List B', nextServerId: c.id });
      const a = await insertServer(dataSource, { name: 'List A', nextServerId: b.id });
      const measure = async () => {
        // Rows inserted behind the gateway's back: reload as another instance's poll would.
        await gw().services.snapshots!.reload();
        let result: any;
        const statements = await gw().countStatements(async () => (result = await gw().ok<any>(ADMIN_LIST)));
        const departments = result.libraries.flatMap((l: any) => l.departments);
        return { statements, libraries: result.libraries.length, departments: departments.length, sample: departments };
      };
      await insertNetwork(dataSource, 0, 2, [a, b, c]);
      const small = await measure();
      await insertNetwork(dataSource, 2, 57, [a, b, c]);
      const large = await measure();
      // Plus the library created in beforeAll (with its departments).
      expect(small.libraries).toBe(3);
      expect(large.libraries).toBe(60);
      expect(large.departments).toBeGreaterThan(280);
      expect(large.sample.every((d: any) => d.effectiveMailConfig.servers.length > 0)).toBe(true);
      console.log(
        `[${gw().kind}] admin list query with the snapshot: ${small.statements} statements at 3 libraries (${small.departments} departments), ${large.statements} at 60 (${large.departments})`,
      );
      expect(large.statements).toBe(small.statements);
      expect(small.statements).toBeLessThanOrEqual(3);
    });
  },
  WITH_SNAPSHOT,
  ', snapshot',
);

/**
 * Two gateways on one database, as two instances behind a load balancer: the writer polls never
 * (it reloads after its own writes), the reader polls every 200 ms.
 */
describeEachDatabase('issue 7: a second instance on the same database', (gw) => {
  const REFRESH_MS = 200;
  let writer: OpsGateway | null = null;
  let reader: OpsGateway | null = null;
  let dir: string | null = null;

  beforeAll(async () => {
    let database: DatabaseConfig;
    if (gw().kind === 'sqlite') {
      // The harness's SQLite database is in memory; two instances need a file.
      dir = mkdtempSync(join(tmpdir(), 'mcg-cache-'));
      database = { type: 'sqlite', path: join(dir, 'shared.sqlite') };
    } else {
      // A second DataSource on the very database the harness created (and migrated).
      database = { type: 'mysql', url: (gw().dataSource.options as { url: string }).url };
    }
    writer = await startGatewayOn(database, { cache: { enabled: true, refreshMs: 0 } });
    reader = await startGatewayOn(database, { cache: { enabled: true, refreshMs: REFRESH_MS } });
  });

  afterAll(async () => {
    await reader?.close();
    await writer?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`issue 7: a write through one instance is visible on the other within refreshMs (${REFRESH_MS} ms) plus a margin`, async () => {
    const w = writer!;
    const r = reader!;
    const server = (await w.ok<any>(CREATE_SERVER, { input: { name: 'Shared primary', host: 'shared.example.org', port: 587 } })).createSmtpServer;
    const other = (await w.ok<any>(CREATE_SERVER, { input: { name: 'Shared other', host: 'shared-other.example.org', port: 587 } })).createSmtpServer;
    const library = (
      await w.ok<any>(CREATE_LIBRARY, { input: { code: 'SHARED', name: 'Shared', contactEmail: 'x@shared.example.org', smtpServerId: server.id } })
    ).createLibrary;
    const written = Date.now();
    const created = await waitFor(
      'the new library on the reader',
      async () => {
        const result = await r.gql<any>(EFFECTIVE, { libraryId: library.id });
        return result.data?.effectiveMailConfig ?? undefined;
      },
      3000,
      10,
    );
    expect(serverNames(created.value)).toEqual(['Shared primary']);
    const createDelay = Date.now() - written;

    await w.ok(UPDATE_LIBRARY, { id: library.id, input: { smtpServerId: other.id } });
    const updated = Date.now();
    await waitFor(
      'the changed server on the reader',
      async () => {
        const result = await r.ok<any>(EFFECTIVE, { libraryId: library.id });
        return serverNames(result.effectiveMailConfig)[0] === 'Shared other' ? true : undefined;
      },
      3000,
      10,
    );
    const updateDelay = Date.now() - updated;
    console.log(`[${gw().kind}] propagation to the second instance (refreshMs ${REFRESH_MS}): create ${createDelay} ms, update ${updateDelay} ms`);
    expect(createDelay).toBeLessThan(REFRESH_MS + 800);
    expect(updateDelay).toBeLessThan(REFRESH_MS + 800);
    expect(r.services.snapshots!.current!.revision).toBe(w.services.snapshots!.current!.revision);
  });

  it('issue 7: an idle instance costs at most one statement per refresh interval, and nothing when idle without polling', async () => {
    const r = reader!;
    const w = writer!;
    await sleep(REFRESH_MS); // let any reload from the previous test finish
    const started = Date.now();
    const readerBefore = r.counter.count;
    const writerBefore = w.counter.count;
    await sleep(1000);
    const elapsed = Date.now() - started;
    const readerStatements = r.counter.count - readerBefore;
    const writerStatements = w.counter.count - writerBefore;
    console.log(
      `[${gw().kind}] idle for ${elapsed} ms: reader (refreshMs ${REFRESH_MS}) ${readerStatements} statements, writer (refreshMs 0) ${writerStatements}`,
    );
    expect(readerStatements).toBeGreaterThanOrEqual(1); // it does poll
    expect(readerStatements).toBeLessThanOrEqual(Math.floor(elapsed / REFRESH_MS) + 1);
    expect(writerStatements).toBe(0);
  });

  it('issue 7: /metrics shows cache hits, snapshot reloads and changes applied without a reload', async () => {
    const r = reader!;
    const w = () => writer!;
    const before = await r.get('/metrics');
    expect(before.status).toBe(200);
    const hitsBefore = metricValue(before.text, 'mail_gateway_config_cache_lookups_total{result="hit"}') ?? 0;
    const reloadsBefore = metricValue(before.text, 'mail_gateway_config_snapshot_reloads_total');
    expect(reloadsBefore).toBe(1); // start-up only: changes seen by polling are replayed, not reloaded
    expect(metricValue(before.text, 'mail_gateway_config_changes_applied_total{source="log"}')).toBeGreaterThanOrEqual(1);
    const libraryId = (await r.ok<any>('{ libraries { id } }')).libraries[0].id;
    // Three different requests: each one is resolved from the snapshot.
    for (const purpose of ['GENERAL', 'INTERLIBRARY_LOAN']) await r.ok(EFFECTIVE, { libraryId, purpose });
    await r.ok(EFFECTIVE.replace('problems { code }', 'problems { code severity }'), { libraryId });
    const after = await r.get('/metrics');
    expect(metricValue(after.text, 'mail_gateway_config_cache_lookups_total{result="hit"}')).toBe(hitsBefore + 3);
    // The same request again: answered from memory, by the snapshot or by a response cache in front of it.
    const memoryHits = (text: string) =>
      (metricValue(text, 'mail_gateway_config_cache_lookups_total{result="hit"}') ?? 0) + (metricValue(text, 'mail_gateway_response_cache_hits_total') ?? 0);
    for (let i = 0; i < 3; i++) await r.ok(EFFECTIVE, { libraryId, purpose: 'GENERAL' });
    expect(memoryHits((await r.get('/metrics')).text)).toBe(memoryHits(after.text) + 3);
    expect(metricValue(after.text, 'mail_gateway_config_cache_lookups_total{result="miss"}')).toBe(0);
    expect(after.text).toMatch(/^# TYPE mail_gateway_config_snapshot_reloads_total counter$/m);
    expect(metricValue(after.text, 'mail_gateway_config_snapshot_last_reload_ms')).not.toBeNull();

    // A write on the writer is applied in memory there, and replayed from the change log on the reader; neither reloads.
    const applied = (text: string, source: string) => metricValue(text, `mail_gateway_config_changes_applied_total{source="${source}"}`) ?? 0;
    const writerApplied = applied((await w().get('/metrics')).text, 'own');
    const readerApplied = applied(after.text, 'log');
    await writer!.ok(CREATE_SERVER, { input: { name: 'Metrics server', host: 'metrics.example.org', port: 587 } });
    const writerAfter = (await w().get('/metrics')).text;
    expect(applied(writerAfter, 'own')).toBe(writerApplied + 1);
    expect(metricValue(writerAfter, 'mail_gateway_config_snapshot_reloads_total')).toBe(1);
    await waitFor(
      'the write replayed on the reader',
      async () => {
        const text = (await r.get('/metrics')).text;
        return applied(text, 'log') > readerApplied && metricValue(text, 'mail_gateway_config_snapshot_reloads_total') === 1 ? text : undefined;
      },
      3000,
    );
  });
});
