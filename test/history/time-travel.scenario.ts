import { DataSource } from 'typeorm';
import { createDataSource } from '../../src/database/data-source';
import { WriteRunner } from '../../src/database/transaction';
import { readHistoryBounds, sqlDateTime } from '../../src/history/history-bounds';
import { HistoryPruner } from '../../src/history/history-pruner';
import { buildHistoricalSnapshot, rowsOfSnapshot } from '../../src/history/historical-snapshot';
import { readCurrentRows } from '../../src/snapshot/snapshot-store';
import { readRevision } from '../../src/snapshot/snapshot-store';
import { expectError } from '../support/expect-error';
import { createChain, createDepartment, createLibrary, setSetting, unique } from '../support/fixtures';
import { TestGateway } from '../support/gateway';

/**
 * "What was the configuration when this notice went out last Tuesday?": `at` answers with the
 * configuration in force at that moment, everything nested included, rebuilt from the change log.
 */

const EFFECTIVE_AT = `query EffectiveAt($libraryId: ID!, $departmentId: ID, $at: DateTime) {
  effectiveMailConfig(libraryId: $libraryId, departmentId: $departmentId, at: $at) {
    revision asOf
    library { name smtpServer { name } }
    department { name }
    servers { name nextServer { name } }
    trace { field outcome value }
  }
}`;
const LIBRARY_FIELD_AT = `query LibraryFieldAt($id: ID!, $at: DateTime) {
  library(id: $id) { effectiveMailConfig(at: $at) { revision asOf servers { name } library { name departments { name } } } }
}`;
const DEPARTMENT_FIELD_AT = `query DepartmentFieldAt($id: ID!, $at: DateTime) {
  department(id: $id) { effectiveMailConfig(at: $at) { revision department { name library { name } } servers { name } } }
}`;
const SETTING_AT = `query SettingAt($libraryId: ID, $at: DateTime) {
  effectiveSetting(key: "ILS_EMAIL", libraryId: $libraryId, at: $at) { value source { value library { name } } trace { outcome value } }
}`;
const PROBLEMS_AT = `query ProblemsAt($libraryId: ID!, $at: DateTime) {
  effectiveMailConfig(libraryId: $libraryId, at: $at) { servers { hasPassword } problems { code server { name } } }
}`;
const TRANSPORT_AT = `query TransportAt($libraryId: ID!, $at: DateTime) {
  effectiveMailConfig(libraryId: $libraryId, at: $at) { servers { name transport { host } } }
}`;
const UPDATE_LIBRARY = `mutation UpdateLibraryAt($id: ID!, $input: LibraryUpdateInput!) { updateLibrary(id: $id, input: $input) { id } }`;
const UPDATE_DEPARTMENT = `mutation UpdateDepartmentAt($id: ID!, $input: DepartmentUpdateInput!) { updateDepartment(id: $id, input: $input) { id } }`;
const UPDATE_SERVER = `mutation UpdateServerAt($id: ID!, $input: SmtpServerUpdateInput!) { updateSmtpServer(id: $id, input: $input) { id } }`;
const DELETE_DEPARTMENT = `mutation DeleteDepartmentAt($id: ID!) { deleteDepartment(id: $id) }`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A moment strictly between the writes before it and those after it (entry times have millisecond precision). */
async function moment(): Promise<Date> {
  await sleep(3);
  const at = new Date();
  await sleep(3);
  return at;
}

interface Story {
  libraryId: string;
  departmentId: string;
  otherLibraryId: string;
  /** The old chain in force, the library and department under their first names. */
  before: Date;
  revisionBefore: number;
  /** The library moved to the new chain, the old servers and the department renamed. */
  renamed: Date;
  /** The department deleted; nothing changed after this. */
  after: Date;
  revisionAfter: number;
}

/** A library whose server changes, whose department is renamed and then deleted, told through the API. */
async function tellStory(gw: TestGateway): Promise<Story> {
  const fallback = { name: 'Old fallback', username: 'relay', password: 'old-relay-secret', requiresAuth: true, allowTls: true };
  const [old1, old2] = await createChain(gw, [{ name: unique('Old primary') }, fallback]);
  const [new1] = await createChain(gw, [{ name: unique('New primary') }, { name: 'New fallback' }]);
  const library = await createLibrary(gw, { name: 'Městská knihovna', contactEmail: 'knihovna@example.org', smtpServerId: old1.id });
  const department = await createDepartment(gw, library.id, { name: 'Pobočka Sever' });
  const other = await createLibrary(gw, { contactEmail: 'other@example.org', smtpServerId: old1.id });
  await setSetting(gw, { key: 'ILS_EMAIL', scope: 'LIBRARY', libraryId: library.id, value: 'mvs-old@example.org' });
  const before = await moment();
  const revisionBefore = await readRevision(gw.dataSource.manager);

  await gw.ok(UPDATE_LIBRARY, { id: library.id, input: { smtpServerId: new1.id, name: 'Knihovna města' } });
  await gw.ok(UPDATE_SERVER, { id: old1.id, input: { name: 'Old primary, retired' } });
  await gw.ok(UPDATE_SERVER, { id: old2.id, input: { password: null } });
  await gw.ok(UPDATE_DEPARTMENT, { id: department.id, input: { name: 'Pobočka Jih' } });
  await setSetting(gw, { key: 'ILS_EMAIL', scope: 'LIBRARY', libraryId: library.id, value: 'mvs-new@example.org' });
  const renamed = await moment();

  await gw.ok(DELETE_DEPARTMENT, { id: department.id });
  const after = await moment();
  const revisionAfter = await readRevision(gw.dataSource.manager);
  return { libraryId: library.id, departmentId: department.id, otherLibraryId: other.id, before, revisionBefore, renamed, after, revisionAfter };
}

const names = (servers: Array<{ name: string }>) => servers.map((s) => s.name);

/** The scenario, run on a gateway that reads from the database and on one that reads from the snapshot (one file each, so they run side by side). */
export function timeTravel(gw: () => TestGateway): void {
  let story: Story;
  let oldPrimary: string;
  beforeAll(async () => {
    story = await tellStory(gw());
    const then = await gw().ok<any>(EFFECTIVE_AT, { libraryId: story.libraryId, at: story.before.toISOString() });
    oldPrimary = then.effectiveMailConfig.servers[0].name;
  });

  it("before a library's server changed: the old chain, its servers' names then, the library's name then and the revision in force", async () => {
    const { effectiveMailConfig: config } = await gw().ok<any>(EFFECTIVE_AT, { libraryId: story.libraryId, at: story.before.toISOString() });
    expect(oldPrimary).toMatch(/^Old primary_/);
    expect(config.servers).toEqual([
      { name: oldPrimary, nextServer: { name: 'Old fallback' } },
      { name: 'Old fallback', nextServer: null },
    ]);
    expect(config.library).toEqual({ name: 'Městská knihovna', smtpServer: { name: oldPrimary } });
    expect(config.trace).toContainEqual({ field: 'Library.smtpServer', outcome: 'USED', value: oldPrimary });
    expect(config.revision).toBe(story.revisionBefore);
    expect(config.asOf).toBe(story.before.toISOString());
  });

  it('after the change: the new chain and names; at or after the latest change the current configuration, asOf still set', async () => {
    const { effectiveMailConfig: then } = await gw().ok<any>(EFFECTIVE_AT, { libraryId: story.libraryId, at: story.after.toISOString() });
    const { effectiveMailConfig: now } = await gw().ok<any>(EFFECTIVE_AT, { libraryId: story.libraryId });
    expect(names(then.servers)).toEqual([expect.stringMatching(/^New primary_/), 'New fallback']);
    expect(then.library.name).toBe('Knihovna města');
    expect(then.revision).toBe(story.revisionAfter);
    expect(then.asOf).toBe(story.after.toISOString());
    expect({ ...then, asOf: null }).toEqual(now);
    expect(now.asOf).toBeNull();
  });

  it("across a department's deletion: found with its name of each moment before, NOT_FOUND after", async () => {
    const at = async (moment: Date) => gw().gql<any>(EFFECTIVE_AT, { libraryId: story.libraryId, departmentId: story.departmentId, at: moment.toISOString() });
    expect((await at(story.before)).data!.effectiveMailConfig.department).toEqual({ name: 'Pobočka Sever' });
    expect((await at(story.renamed)).data!.effectiveMailConfig.department).toEqual({ name: 'Pobočka Jih' });
    expectError(await at(story.after), 'NOT_FOUND', { noData: true });
  });

  it('Library.effectiveMailConfig(at:) and Department.effectiveMailConfig(at:) answer as then, nested lists included', async () => {
    const { library } = await gw().ok<any>(LIBRARY_FIELD_AT, { id: story.libraryId, at: story.before.toISOString() });
    expect(names(library.effectiveMailConfig.servers)).toEqual([oldPrimary, 'Old fallback']);
    expect(library.effectiveMailConfig.library).toEqual({ name: 'Městská knihovna', departments: [{ name: 'Pobočka Sever' }] });
    expect(library.effectiveMailConfig.revision).toBe(story.revisionBefore);

    const sibling = await createDepartment(gw(), story.libraryId, { name: 'Born later' });
    expectError(await gw().gql(DEPARTMENT_FIELD_AT, { id: sibling.id, at: story.before.toISOString() }), 'NOT_FOUND');
    const { department } = await gw().ok<any>(DEPARTMENT_FIELD_AT, { id: sibling.id, at: new Date(Date.now() + 60_000).toISOString() });
    expect(department.effectiveMailConfig.department).toEqual({ name: 'Born later', library: { name: 'Knihovna města' } });
  });

  it('effectiveSetting(at:) answers with the value then and the records it came from as they were', async () => {
    const then = (await gw().ok<any>(SETTING_AT, { libraryId: story.libraryId, at: story.before.toISOString() })).effectiveSetting;
    expect(then.value).toBe('mvs-old@example.org');
    expect(then.source).toEqual({ value: 'mvs-old@example.org', library: { name: 'Městská knihovna' } });
    const now = (await gw().ok<any>(SETTING_AT, { libraryId: story.libraryId })).effectiveSetting;
    expect(now.source).toEqual({ value: 'mvs-new@example.org', library: { name: 'Knihovna města' } });
  });

  it('D8: problems are those of then: a password removed since was there, so no AUTH_WITHOUT_CREDENTIALS before it went', async () => {
    const then = (await gw().ok<any>(PROBLEMS_AT, { libraryId: story.otherLibraryId, at: story.before.toISOString() })).effectiveMailConfig;
    expect(then.servers).toEqual([{ hasPassword: false }, { hasPassword: true }]);
    expect(then.problems).toEqual([]);
    const now = (await gw().ok<any>(PROBLEMS_AT, { libraryId: story.otherLibraryId })).effectiveMailConfig;
    expect(now.servers).toEqual([{ hasPassword: false }, { hasPassword: false }]);
    expect(now.problems).toEqual([{ code: 'AUTH_WITHOUT_CREDENTIALS', server: { name: 'Old fallback' } }]);
  });

  it('the log is read in pages: pages of two entries rebuild the same configuration, in rows that are not the current ones', async () => {
    const snapshot = gw().services.snapshots?.current;
    const current = snapshot ? rowsOfSnapshot(snapshot) : await readCurrentRows(gw().dataSource);
    const [paged, whole] = await Promise.all([2, 1000].map((page) => buildHistoricalSnapshot(gw().dataSource, current, story.revisionBefore, page)));
    const shape = (snapshot: typeof paged) => ({
      servers: snapshot.serverList.map((s) => [s.id, s.name, s.nextServerId, s.hasPassword]),
      libraries: snapshot.libraryList.map((l) => [l.id, l.name, l.smtpServerId]),
      departments: [...snapshot.departments.values()].map((d) => [d.id, d.name]),
    });
    expect(shape(paged)).toEqual(shape(whole));
    expect(shape(paged).departments).toContainEqual([Number(story.departmentId), 'Pobočka Sever']);
    const library = current.libraries.find((l) => l.id === Number(story.otherLibraryId))!;
    expect(paged.libraries.get(library.id)).not.toBe(library);
    expect(paged.libraries.get(library.id)).toEqual(library);
  });

  it('a revision asked for again comes from memory: two small queries, whatever the configuration holds', async () => {
    const again = new Date(story.before.getTime() - 1).toISOString();
    const statements = await gw().countStatements(() => gw().ok(EFFECTIVE_AT, { libraryId: story.libraryId, at: again }));
    expect(statements).toBe(2);
  });

  it('a library that did not exist yet is NOT_FOUND', async () => {
    const later = await createLibrary(gw(), { contactEmail: 'later@example.org' });
    expectError(await gw().gql(EFFECTIVE_AT, { libraryId: later.id, at: story.before.toISOString() }), 'NOT_FOUND', { noData: true });
  });

  it('a moment before the oldest one kept is BAD_USER_INPUT on at, naming that moment', async () => {
    const { historySince } = await readHistoryBounds(gw().dataSource.manager);
    const result = await gw().gql(EFFECTIVE_AT, { libraryId: story.libraryId, at: new Date(historySince!.getTime() - 1).toISOString() });
    const extensions = expectError(result, 'BAD_USER_INPUT', { field: 'at', noData: true });
    expect(result.errors![0].message).toContain(historySince!.toISOString());
    expect(extensions.oldest).toBe(historySince!.toISOString());
  });

  it('D12: SmtpServer.transport of a server read with at is refused naming at; without at it is served', async () => {
    const result = await gw().gql<any>(TRANSPORT_AT, { libraryId: story.libraryId, at: story.before.toISOString() }, gw().tokens.credentials);
    expectError(result, 'BAD_USER_INPUT', { field: 'at' });
    expect(result.errors![0].path).toEqual(['effectiveMailConfig', 'servers', 0, 'transport']);
    expect(result.data!.effectiveMailConfig.servers.map((s: any) => s.transport)).toEqual([null, null]);
    const now = await gw().ok<any>(TRANSPORT_AT, { libraryId: story.libraryId }, gw().tokens.credentials);
    expect(now.effectiveMailConfig.servers[0].transport).toEqual({ host: 'smtp.example.org' });
  });

  it("R2: a library-admin time-travels in its own library, a department deleted since included, and gets FORBIDDEN for another's", async () => {
    const admin = await gw().token({ sub: 'admin-history', roles: ['library-admin'], libraries: [Number(story.libraryId)] });
    const own = await gw().ok<any>(EFFECTIVE_AT, { libraryId: story.libraryId, departmentId: story.departmentId, at: story.before.toISOString() }, admin);
    expect(own.effectiveMailConfig.department).toEqual({ name: 'Pobočka Sever' });
    expect(names(own.effectiveMailConfig.servers)).toEqual([oldPrimary, 'Old fallback']);
    expectError(await gw().gql(EFFECTIVE_AT, { libraryId: story.otherLibraryId, at: story.before.toISOString() }, admin), 'FORBIDDEN', { noData: true });
  });

  // Last: it back-dates the story's first writes.
  pruning(gw, () => story);
}

const DAY_MS = 86_400_000;
const silent = { log: () => undefined };

/** A pruner as another instance on the same database would run it (on SQLite instances share the process's write queue). */
async function secondInstance(gw: TestGateway, runner: WriteRunner): Promise<{ runner: WriteRunner; close: () => Promise<unknown> }> {
  if (gw.kind === 'sqlite') return { runner, close: async () => undefined };
  const dataSource: DataSource = createDataSource({ type: 'mysql', url: (gw.dataSource.options as { url: string }).url });
  await dataSource.initialize();
  return { runner: new WriteRunner(dataSource), close: () => dataSource.destroy() };
}

function pruning(gw: () => TestGateway, story: () => Story): void {
  it('CONFIG_HISTORY_DAYS: pruning empties the images of revisions older than the cutoff, keeps the entries and moves the oldest moment', async () => {
    const now = Date.now();
    const [migrated, changed] = [new Date(now - 20 * DAY_MS), new Date(now - 10 * DAY_MS)];
    // As if the database had kept history for 20 days and the story's first writes were 10 days old.
    await gw().dataSource.query('UPDATE config_revision SET historySince = ? WHERE id = 1', [sqlDateTime(migrated)]);
    await gw().dataSource.query('UPDATE audit_entry SET at = ? WHERE revision <= ?', [sqlDateTime(changed), story().revisionBefore]);
    const between = new Date(now - 15 * DAY_MS).toISOString();
    expectError(await gw().gql(EFFECTIVE_AT, { libraryId: story().libraryId, at: between }), 'NOT_FOUND');
    const entries = async () => (await gw().dataSource.query('SELECT revision, beforeJson, afterJson FROM audit_entry WHERE revision IS NOT NULL')) as any[];
    const kept = (await entries()).length;

    const runner = new WriteRunner(gw().dataSource);
    const other = await secondInstance(gw(), runner);
    const passes = await Promise.all([runner, other.runner].map((r) => new HistoryPruner(r, { days: 5 }, silent).prune()));
    await other.close();

    expect(passes.filter(Boolean)).toEqual([{ revision: story().revisionBefore, since: changed }]);
    expect(await readHistoryBounds(gw().dataSource.manager)).toMatchObject({ historyRevision: story().revisionBefore, historySince: changed });
    const after = await entries();
    expect(after).toHaveLength(kept);
    const pruned = after.filter((e) => Number(e.revision) <= story().revisionBefore);
    expect(pruned.length).toBeGreaterThan(0);
    expect(pruned.every((e) => e.beforeJson === null && e.afterJson === null)).toBe(true);
    expect(after.filter((e) => Number(e.revision) > story().revisionBefore).every((e) => e.beforeJson !== null || e.afterJson !== null)).toBe(true);

    const refused = await gw().gql(EFFECTIVE_AT, { libraryId: story().libraryId, at: between });
    expect(expectError(refused, 'BAD_USER_INPUT', { field: 'at' }).oldest).toBe(changed.toISOString());
    const { effectiveMailConfig: then } = await gw().ok<any>(EFFECTIVE_AT, { libraryId: story().libraryId, at: changed.toISOString() });
    expect(then.revision).toBe(story().revisionBefore);
    expect(then.library.name).toBe('Městská knihovna');
  });
}
