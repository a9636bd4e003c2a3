import { DELETE_DEPARTMENT } from '../support/documents';
import { expectError } from '../support/expect-error';
import { createDepartment, createLibrary, createServer, setSetting, unique } from '../support/fixtures';
import { describeEachDatabase, TestGateway, WITH_SNAPSHOT } from '../support/gateway';

/**
 * The paged lists (Relay connections) on both databases, from SQL and from the configuration
 * snapshot: keyset cursors that neither repeat nor skip rows while the list changes, search that
 * ignores case and accents, hasProblems (D4-D8 problems), a library-admin's scope in items and
 * counts (R2), and the refusals that name the argument (D10).
 */

interface Page<T> {
  nodes: T[];
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}
interface Named {
  id: string;
  name: string;
}

const PAGE = (fields: string) => `nodes { ${fields} } edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount`;
const LIBRARIES = `query Libraries($first: Int, $after: String, $search: String, $hasProblems: Boolean) {
  librariesConnection(first: $first, after: $after, search: $search, hasProblems: $hasProblems) { ${PAGE('id name code')} } }`;
const DEPARTMENTS = `query Departments($libraryId: ID, $first: Int, $after: String, $search: String, $hasProblems: Boolean) {
  departmentsConnection(libraryId: $libraryId, first: $first, after: $after, search: $search, hasProblems: $hasProblems) { ${PAGE('id name')} } }`;
const LIBRARY_DEPARTMENTS = `query LibraryDepartments($id: ID!, $first: Int, $after: String, $search: String) {
  library(id: $id) { departmentsConnection(first: $first, after: $after, search: $search) { ${PAGE('id name')} } } }`;
const SERVERS = `query Servers($first: Int, $after: String, $search: String) { smtpServersConnection(first: $first, after: $after, search: $search) { ${PAGE('id name')} } }`;
const VALUES = `query Values($key: String, $scope: SettingScope, $libraryId: ID, $first: Int, $after: String) {
  settingValuesConnection(key: $key, scope: $scope, libraryId: $libraryId, first: $first, after: $after) { ${PAGE('id key value')} } }`;
const AUDIT = `query Audit($entityType: String, $entityId: ID, $actor: String, $first: Int, $after: String) {
  auditLogConnection(entityType: $entityType, entityId: $entityId, actor: $actor, first: $first, after: $after) { ${PAGE('id at action entityType entityId')} } }`;
const OLD_AUDIT = `query OldAudit($entityType: String) { auditLog(entityType: $entityType) { id } }`;

async function page<T>(gw: TestGateway, document: string, variables: Record<string, unknown>, token?: string): Promise<Page<T>> {
  const data = await gw.ok<Record<string, any>>(document, variables, token);
  const value = Object.values(data)[0];
  return (value.departmentsConnection ?? value) as Page<T>;
}

/** Reads every page of a list, running `between` after each page (concurrent writes elsewhere in the list). */
async function pageThrough<T>(
  gw: TestGateway,
  document: string,
  variables: Record<string, unknown>,
  between: (n: number) => Promise<void> = async () => {},
): Promise<T[]> {
  const seen: T[] = [];
  let after: string | null = null;
  for (let n = 0; n < 100; n++) {
    const current: Page<T> = await page<T>(gw, document, { ...variables, after });
    seen.push(...current.nodes);
    expect(current.pageInfo.hasPreviousPage).toBe(after !== null);
    if (!current.pageInfo.hasNextPage) return seen;
    after = current.pageInfo.endCursor;
    await between(n);
  }
  throw new Error('the list never ended');
}

const byNameThenId = (a: Named, b: Named) => (a.name < b.name ? -1 : a.name > b.name ? 1 : Number(a.id) - Number(b.id));

function connectionTests(gw: () => TestGateway): void {
  test('keyset paging: rows inserted and deleted while paging are neither repeated nor skipped', async () => {
    const library = await createLibrary(gw(), { contactEmail: 'dzial@example.org' });
    const rows: Named[] = [];
    for (let i = 0; i < 10; i++) rows.push(await createDepartment<Named>(gw(), library.id, { name: `Dzial ${String(i).padStart(2, '0')}` }));
    const deleted = new Set<string>();
    let inserted = 0;
    const seen = await pageThrough<Named>(gw(), DEPARTMENTS, { libraryId: library.id, first: 3 }, async (n) => {
      // one row before the cursor and one after it come and go on every page
      await createDepartment(gw(), library.id, { name: `Dzial 00 wstawiony ${n}` });
      await createDepartment(gw(), library.id, { name: `Dzial 99 wstawiony ${n}` });
      inserted += 2;
      const victim = rows.find((r) => !deleted.has(r.id) && Number(r.name.slice(-2)) === 9 - n);
      if (victim && n < 3) {
        await gw().ok(DELETE_DEPARTMENT, { id: victim.id });
        deleted.add(victim.id);
      }
    });
    const ids = seen.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const row of rows.filter((r) => !deleted.has(r.id))) expect(ids).toContain(row.id);
    expect([...seen].sort(byNameThenId)).toEqual(seen);
    const library2 = await page<Named>(gw(), LIBRARY_DEPARTMENTS, { id: library.id, first: 500 });
    expect(library2.totalCount).toBe(10 - deleted.size + inserted);
  });

  test('ordering: libraries by name then id, with equal names in id order; cursors are the edges', async () => {
    const tag = unique('Porzadek');
    const b1 = await createLibrary(gw(), { name: `${tag} B` });
    const a = await createLibrary(gw(), { name: `${tag} A` });
    const b2 = await createLibrary(gw(), { name: `${tag} B` });
    const first = await page<Named>(gw(), LIBRARIES, { search: tag, first: 2 });
    expect(first.nodes.map((l) => l.id)).toEqual([a.id, b1.id]);
    expect(first.edges.map((e) => e.node.id)).toEqual([a.id, b1.id]);
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false, startCursor: first.edges[0].cursor, endCursor: first.edges[1].cursor });
    expect(first.totalCount).toBe(3);
    const rest = await page<Named>(gw(), LIBRARIES, { search: tag, first: 2, after: first.pageInfo.endCursor });
    expect(rest.nodes.map((l) => l.id)).toEqual([b2.id]);
    expect(rest.pageInfo.hasNextPage).toBe(false);
    const all = await pageThrough<Named>(gw(), LIBRARIES, { first: 7 });
    expect([...all].sort(byNameThenId)).toEqual(all);
    expect(await page<Named>(gw(), LIBRARIES, { first: 0 })).toMatchObject({ nodes: [], pageInfo: { hasNextPage: true, endCursor: null } });
  });

  test('ordering: servers by name, setting values by key, the audit trail newest first', async () => {
    await createServer(gw(), { name: 'Zeta' });
    await createServer(gw(), { name: 'Alfa' });
    const servers = await pageThrough<Named>(gw(), SERVERS, { first: 2 });
    expect(servers.length).toBeGreaterThanOrEqual(2);
    expect([...servers].sort(byNameThenId)).toEqual(servers);
    const library = await createLibrary(gw(), {});
    await setSetting(gw(), { key: 'ILS_EMAIL', scope: 'LIBRARY', libraryId: library.id, value: 'mvs@example.org' });
    const values = await pageThrough<{ id: string; key: string }>(gw(), VALUES, { first: 1 });
    expect(values.map((v) => v.key)).toEqual([...values.map((v) => v.key)].sort());
    const ofLibrary = await page<{ key: string; value: string }>(gw(), VALUES, { libraryId: library.id, scope: 'LIBRARY' });
    expect(ofLibrary.nodes).toEqual([expect.objectContaining({ key: 'ILS_EMAIL', value: 'mvs@example.org' })]);
    const entries = await pageThrough<{ id: string; at: string }>(gw(), AUDIT, { first: 5 });
    expect(entries.length).toBeGreaterThan(5);
    for (let i = 1; i < entries.length; i++) {
      const [newer, older] = [entries[i - 1], entries[i]];
      expect(newer.at > older.at || (newer.at === older.at && Number(newer.id) > Number(older.id))).toBe(true);
    }
    const ofLibraryAudit = await page<{ entityId: string }>(gw(), AUDIT, { entityType: 'Library', entityId: library.id, actor: 'support-1' });
    expect(ofLibraryAudit.nodes.map((e) => e.entityId)).toEqual([library.id]);
  });

  test('search ignores case and accents (Głowna finds Główna, krakow finds Kraków) and matches code, short name and e-mail', async () => {
    const tag = unique('Szukaj');
    const glowna = await createLibrary(gw(), { name: `Biblioteka Główna ${tag}` });
    const krakow = await createLibrary(gw(), {
      name: `Miejska Biblioteka Kraków ${tag}`,
      shortName: 'MBK Łódź',
      contactEmail: `poczta.${tag.toLowerCase()}@example.org`,
    });
    const names = async (search: string) => (await page<Named>(gw(), LIBRARIES, { search, first: 500 })).nodes.map((l) => l.id);
    expect(await names(`Głowna ${tag}`)).toEqual([glowna.id]);
    expect(await names(`GLOWNA ${tag}`)).toEqual([glowna.id]);
    expect(await names(`krakow ${tag}`)).toEqual([krakow.id]);
    expect(await names(tag)).toEqual([glowna.id, krakow.id]);
    expect(await names(glowna.code.toLowerCase())).toEqual([glowna.id]);
    expect(await names(`poczta.${tag}`)).toEqual([krakow.id]);
    expect(await names('mbk lodz')).toContain(krakow.id);
    const department = await createDepartment<Named>(gw(), krakow.id, { name: 'Filia Śródmieście' });
    expect((await page<Named>(gw(), DEPARTMENTS, { libraryId: krakow.id, search: 'srodmiescie' })).nodes.map((d) => d.id)).toEqual([department.id]);
    expect((await page<Named>(gw(), LIBRARY_DEPARTMENTS, { id: krakow.id, search: 'ŚRÓDMIEŚCIE' })).nodes.map((d) => d.id)).toEqual([department.id]);
    const server = await createServer<Named>(gw(), { name: `Serwer Łączność ${tag}` });
    expect((await page<Named>(gw(), SERVERS, { search: `lacznosc ${tag}` })).nodes.map((s) => s.id)).toEqual([server.id]);
  });

  test('hasProblems keeps the libraries and departments whose configuration has an error or a warning (D8)', async () => {
    const tag = unique('Problem');
    const good = await createServer<Named>(gw(), { timeoutMs: 200_000 });
    const slow = await createServer<Named>(gw(), { timeoutMs: 1_000 }); // TIMEOUT_BELOW_RECOMMENDED, a warning
    const healthy = await createLibrary(gw(), { name: `${tag} zdrowa`, contactEmail: 'ok@example.org', smtpServerId: good.id });
    const warned = await createLibrary(gw(), { name: `${tag} wolna`, contactEmail: 'ok@example.org', smtpServerId: slow.id });
    const noSender = await createLibrary(gw(), { name: `${tag} bez nadawcy`, smtpServerId: good.id }); // NO_SENDER, an error
    const ids = async (hasProblems: boolean) => (await page<Named>(gw(), LIBRARIES, { search: tag, hasProblems })).nodes.map((l) => l.id);
    expect(await ids(true)).toEqual([noSender.id, warned.id]);
    expect(await ids(false)).toEqual([healthy.id]);
    const fine = await createDepartment<Named>(gw(), healthy.id, { name: 'Oddzial A' });
    const slowDepartment = await createDepartment<Named>(gw(), healthy.id, { name: 'Oddzial B', smtpServerId: slow.id });
    const departments = await page<Named>(gw(), DEPARTMENTS, { libraryId: healthy.id, hasProblems: true });
    expect(departments.nodes.map((d) => d.id)).toEqual([slowDepartment.id]);
    expect(departments.totalCount).toBe(1);
    expect((await page<Named>(gw(), DEPARTMENTS, { libraryId: healthy.id, hasProblems: false })).nodes.map((d) => d.id)).toEqual([fine.id]);
  });

  test('R2: a library-admin sees, and counts, only its own libraries and their departments', async () => {
    const own = await createLibrary(gw(), {});
    const other = await createLibrary(gw(), {});
    await createDepartment(gw(), own.id, { name: 'Wlasny 1' });
    await createDepartment(gw(), own.id, { name: 'Wlasny 2' });
    await createDepartment(gw(), other.id, { name: 'Obcy' });
    const admin = await gw().token({ sub: 'connections-admin', roles: ['library-admin'], libraries: [Number(own.id)] });
    const libraries = await page<Named>(gw(), LIBRARIES, {}, admin);
    expect(libraries.nodes.map((l) => l.id)).toEqual([own.id]);
    expect(libraries.totalCount).toBe(1);
    const departments = await page<Named>(gw(), DEPARTMENTS, { first: 1 }, admin);
    expect(departments.totalCount).toBe(2);
    expect(departments.pageInfo.hasNextPage).toBe(true);
    expect((await page<Named>(gw(), DEPARTMENTS, { search: 'Obcy' }, admin)).totalCount).toBe(0);
    expect((await page<Named>(gw(), DEPARTMENTS, { search: 'Obcy' })).totalCount).toBe(1);
    expectError(await gw().gql(DEPARTMENTS, { libraryId: other.id }, admin), 'FORBIDDEN');
    const entries = await page<{ entityId: string }>(gw(), AUDIT, { entityType: 'Department' }, admin);
    expect(entries.totalCount).toBe(2);
    expectError(await gw().gql(SERVERS, {}, admin), 'FORBIDDEN');
  });

  test('D10: first outside 0..500 is refused naming first', async () => {
    for (const [document, first] of [
      [LIBRARIES, 501],
      [DEPARTMENTS, 10_000],
      [SERVERS, -1],
      [VALUES, 501],
      [AUDIT, 501],
    ] as const) {
      expectError(await gw().gql(document, { first }), 'BAD_USER_INPUT', { field: 'first', noData: true });
    }
    expect((await page<Named>(gw(), LIBRARIES, { first: 500 })).nodes.length).toBeGreaterThan(0);
  });

  test('an unknown entityType (case matters) is refused naming the valid ones, by both audit lists', async () => {
    for (const document of [AUDIT, OLD_AUDIT]) {
      const error = await gw().gql(document, { entityType: 'library' });
      expectError(error, 'BAD_USER_INPUT', { field: 'entityType' });
      expect(error.errors![0].message).toContain('Library, SettingDefinition, SettingValue, SmtpServer');
      expect(error.errors![0].message).not.toContain('library,');
    }
  });

  test('an edited cursor, or one of another list, is refused naming after', async () => {
    const first = await page<Named>(gw(), LIBRARIES, { first: 1 });
    const cursor = first.pageInfo.endCursor as string;
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const forged = [
      'not a cursor!',
      cursor.slice(0, -3),
      Buffer.from(JSON.stringify([decoded[0], decoded[1], 'x'])).toString('base64url'),
      Buffer.from(JSON.stringify(['department', ...decoded.slice(1)])).toString('base64url'),
      Buffer.from(JSON.stringify([decoded[0], decoded[1]])).toString('base64url'),
      Buffer.from('{"a":1}').toString('base64url'),
    ];
    for (const after of forged) {
      const result = await gw().gql(LIBRARIES, { first: 1, after });
      expectError(result, 'BAD_USER_INPUT', { field: 'after', noData: true });
      expect(JSON.stringify(result.errors)).not.toContain(after);
    }
    expectError(await gw().gql(SERVERS, { after: cursor }), 'BAD_USER_INPUT', { field: 'after' });
  });
}

describeEachDatabase('Connections', connectionTests);
describeEachDatabase('Connections', connectionTests, WITH_SNAPSHOT, ' snapshot');
