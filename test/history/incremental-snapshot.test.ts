import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuditedEntityType } from '../../src/audit/record-audit';
import { SYSTEM_ACTOR } from '../../src/bootstrap/system-actor';
import { imageOf } from '../../src/history/row-image';
import { SettingScope, SettingValueType } from '../../src/settings/setting.enums';
import { ConfigSnapshot } from '../../src/snapshot/config-snapshot';
import { SnapshotStore } from '../../src/snapshot/snapshot-store';
import { mysqlAvailable, TestGateway } from '../support/gateway';
import { startTwoInstances, TwoInstances } from './two-instances';

/**
 * Incremental snapshots: the writing instance applies its own changes in memory, a second
 * instance replays them from the change log, and both must be exactly what a full load of the
 * database gives, after any series of writes (every kind of row, creates, updates, deletes,
 * passwords set, replaced and cleared).
 */

const quiet = { log: () => undefined };

/** Every index of a snapshot as plain data: rows as images (passwords included), groups as ids in order. */
function canonical(dataSource: DataSource, snapshot: ConfigSnapshot) {
  const image = (type: AuditedEntityType) => (row: object) => imageOf(dataSource, type, row);
  const ids = (rows: readonly { id: number }[]) => rows.map((r) => r.id);
  const map = <K extends number | string, V>(m: ReadonlyMap<K, V>, f: (v: V) => unknown) =>
    [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, f(v)]);
  return {
    revision: snapshot.revision,
    serverList: snapshot.serverList.map(image('SmtpServer')),
    libraryList: snapshot.libraryList.map(image('Library')),
    definitionList: snapshot.definitionList.map(image('SettingDefinition')),
    globalValues: snapshot.globalValues.map(image('SettingValue')),
    servers: map(snapshot.servers, image('SmtpServer')),
    libraries: map(snapshot.libraries, image('Library')),
    departments: map(snapshot.departments, image('Department')),
    definitions: map(snapshot.definitions, image('SettingDefinition')),
    previousServers: map(snapshot.previousServers, ids),
    librariesByServer: map(snapshot.librariesByServer, ids),
    departmentsByLibrary: map(snapshot.departmentsByLibrary, ids),
    departmentsByServer: map(snapshot.departmentsByServer, ids),
    libraryValues: map(snapshot.libraryValues, (values) => values.map(image('SettingValue'))),
    departmentValues: map(snapshot.departmentValues, (values) => values.map(image('SettingValue'))),
    counts: snapshot.counts,
  };
}

/** A small deterministic generator, so a failing series can be replayed. */
function random(seed: number) {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  return { int: (n: number) => Math.floor(next() * n), pick: <T>(list: readonly T[]): T | undefined => list[Math.floor(next() * list.length)] };
}

type Instance = Pick<TestGateway, 'services' | 'dataSource'>;
type Step = (app: Instance, r: ReturnType<typeof random>) => Promise<unknown>;

const ids = async (app: Instance, table: string) =>
  ((await app.dataSource.query(`SELECT id FROM ${table} ORDER BY id`)) as Array<{ id: number }>).map((r) => String(r.id));
const server = (n: number) => ({ name: `Relay ${n}`, host: `relay${n}.example.org`, port: 587, allowTls: true });

const STEPS: Step[] = [
  async (app, r) =>
    app.services.smtpServers.create(
      { ...server(r.int(1000)), password: r.int(2) ? `secret-${r.int(100)}` : null, nextServerId: r.pick(await ids(app, 'smtp_server')) ?? null },
      SYSTEM_ACTOR,
    ),
  async (app, r) => {
    const id = r.pick(await ids(app, 'smtp_server'));
    const input = [
      { name: `Renamed ${r.int(1000)}` },
      { password: `pw-${r.int(100)}` },
      { password: null },
      { host: `moved${r.int(100)}.example.org` },
      { nextServerId: r.pick(await ids(app, 'smtp_server')) ?? null },
    ][r.int(5)];
    return id && app.services.smtpServers.update(id, input, null, SYSTEM_ACTOR);
  },
  async (app, r) =>
    app.services.libraries.create(
      { code: `L${randomBytes(3).toString('hex')}`, name: `Library ${r.int(1000)}`, smtpServerId: r.pick(await ids(app, 'smtp_server')) ?? null },
      SYSTEM_ACTOR,
    ),
  async (app, r) => {
    const id = r.pick(await ids(app, 'library'));
    return (
      id &&
      app.services.libraries.update(
        id,
        r.int(2) ? { shortName: `S${r.int(99)}` } : { smtpServerId: r.pick(await ids(app, 'smtp_server')) ?? null },
        null,
        SYSTEM_ACTOR,
      )
    );
  },
  async (app, r) => {
    const libraryId = r.pick(await ids(app, 'library'));
    return (
      libraryId &&
      app.services.departments.create(
        { libraryId, name: `Dept ${r.int(1000)}`, email: `d${r.int(99)}@example.org`, smtpServerId: r.pick([null, ...(await ids(app, 'smtp_server'))]) },
        SYSTEM_ACTOR,
      )
    );
  },
  async (app, r) => {
    const id = r.pick(await ids(app, 'department'));
    const libraryId = r.pick(await ids(app, 'library'));
    return (
      id &&
      app.services.departments.update(
        id,
        r.int(2) ? { email: `e${r.int(99)}@example.org` } : { name: `Moved ${r.int(99)}`, smtpServerId: r.pick(await ids(app, 'smtp_server')) ?? null },
        null,
        { ...SYSTEM_ACTOR, libraries: new Set(libraryId ? [Number(libraryId)] : []) },
      )
    );
  },
  async (app, r) => {
    const id = r.pick(await ids(app, 'department'));
    return id && app.services.departments.delete(id, SYSTEM_ACTOR);
  },
  async (app, r) => {
    const libraryId = r.pick(await ids(app, 'library'));
    return (
      libraryId &&
      app.services.settings.set(
        { key: 'ILS_EMAIL', scope: SettingScope.LIBRARY, libraryId, value: r.int(3) ? `ils${r.int(99)}@example.org` : '' },
        SYSTEM_ACTOR,
      )
    );
  },
  async (app, r) => {
    const departmentId = r.pick(await ids(app, 'department'));
    return (
      departmentId &&
      app.services.settings.set({ key: 'ILS_EMAIL', scope: SettingScope.DEPARTMENT, departmentId, value: `dep${r.int(99)}@example.org` }, SYSTEM_ACTOR)
    );
  },
  async (app, r) => {
    const serverId = r.pick(await ids(app, 'smtp_server'));
    return serverId && app.services.settings.set({ key: 'DEFAULT_SMTP_SERVER', scope: SettingScope.GLOBAL, value: r.int(4) ? serverId : '' }, SYSTEM_ACTOR);
  },
  async (app, r) => {
    const key = `CUSTOM_${r.int(5)}`;
    return r.int(2)
      ? app.services.settings.createDefinition(
          { key, valueType: SettingValueType.STRING, allowedScopes: [SettingScope.GLOBAL, SettingScope.LIBRARY] },
          SYSTEM_ACTOR,
        )
      : app.services.settings.deleteDefinition(key, SYSTEM_ACTOR);
  },
  async (app, r) => app.services.settings.set({ key: `CUSTOM_${r.int(5)}`, scope: SettingScope.GLOBAL, value: r.int(2) ? `v${r.int(9)}` : '' }, SYSTEM_ACTOR),
  async (app, r) => {
    const id = r.pick(await ids(app, 'library'));
    return id && app.services.libraries.delete(id, SYSTEM_ACTOR);
  },
  async (app, r) => {
    const id = r.pick(await ids(app, 'smtp_server'));
    return id && app.services.smtpServers.delete(id, SYSTEM_ACTOR);
  },
];

for (const kind of ['sqlite', 'mysql'] as const) {
  const run = kind === 'sqlite' || mysqlAvailable() ? describe : describe.skip;
  run(`incremental snapshots equal a full load [${kind}]`, () => {
    let two: TwoInstances;
    let writer: TestGateway;
    let reader: TestGateway;

    beforeAll(async () => {
      two = await startTwoInstances(kind);
      ({ a: writer, b: reader } = two);
    }, 60_000);

    afterAll(() => two?.close());

    test('after a random series of writes, the writer, a second instance replaying the log and a fresh full load hold the same snapshot', async () => {
      const r = random(kind === 'sqlite' ? 20261201 : 1201);
      const fullLoads = [jest.spyOn(writer.services.snapshots! as any, 'load'), jest.spyOn(reader.services.snapshots! as any, 'load')];
      for (let step = 0; step < 240; step++) {
        await STEPS[r.int(STEPS.length)](writer, r).catch(() => undefined);
        if (step % 8 !== 7) continue;
        await reader.services.snapshots!.refresh();
        const fresh = await new SnapshotStore(writer.dataSource, quiet).reload();
        const expected = canonical(writer.dataSource, fresh);
        expect(canonical(writer.dataSource, writer.services.snapshots!.current!)).toEqual(expected);
        expect(canonical(reader.dataSource, reader.services.snapshots!.current!)).toEqual(expected);
      }
      expect(writer.services.snapshots!.current!.revision).toBeGreaterThan(100);
      // neither instance fell back to a full load: every change was applied or replayed
      expect(fullLoads.map((load) => load.mock.calls.length)).toEqual([0, 0]);
    }, 120_000);
  });
}
