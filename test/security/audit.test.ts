import { DELETE_DEPARTMENT, DELETE_LIBRARY, DELETE_SMTP_SERVER } from '../support/documents';
import { describeEachDatabase, TestGateway } from '../support/gateway';
import { createDepartment, createLibrary, createServer, unique } from '../support/fixtures';
import { errorCodes } from './helpers';

/**
 * D10/D12 audit trail: every mutation writes one entry (actor = token sub, action = mutation name,
 * entity, field changes) in its own transaction; secrets appear only as "[changed]"; a failed
 * mutation leaves nothing; auditLog is readable by support and, for own libraries, library-admins (R2).
 */

interface FieldChange {
  field: string;
  before: string | null;
  after: string | null;
}

interface Entry {
  id: string;
  at: string;
  actor: string;
  action: string;
  entityType: string;
  entityId: string;
  changes: FieldChange[];
}

const ENTRY_FIELDS = 'id at actor action entityType entityId changes { field before after }';
const AUDIT_LOG = `query AuditLog($entityType: String, $entityId: ID, $limit: Int, $before: ID) {
  auditLog(entityType: $entityType, entityId: $entityId, limit: $limit, before: $before) { ${ENTRY_FIELDS} }
}`;
const SECRET = '[changed]';

async function auditRowCount(gw: TestGateway): Promise<number> {
  const [{ n }] = await gw.dataSource.query('SELECT COUNT(*) AS n FROM audit_entry');
  return Number(n);
}

async function maxAuditId(gw: TestGateway): Promise<number> {
  const [{ m }] = await gw.dataSource.query('SELECT MAX(id) AS m FROM audit_entry');
  return m === null ? 0 : Number(m);
}

function change(entry: Entry, field: string): FieldChange | undefined {
  return entry.changes.find((c) => c.field === field);
}

describeEachDatabase('D10/D12: audit trail', (gw) => {
  let auditor: string;
  const AUDITOR = 'auditor-1';

  /** Runs one mutation as the auditor and returns the audit entries it wrote (via the API, newest first). */
  async function audited<T = Record<string, any>>(
    query: string,
    variables: Record<string, unknown> = {},
    token?: string,
  ): Promise<{ data: T; entries: Entry[] }> {
    const since = await maxAuditId(gw());
    const data = await gw().ok<T>(query, variables, token ?? auditor);
    const log = await gw().ok<{ auditLog: Entry[] }>(AUDIT_LOG, { limit: 20 });
    return { data, entries: log.auditLog.filter((e) => Number(e.id) > since) };
  }

  function expectOne(entries: Entry[], expected: Partial<Entry>): Entry {
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor: AUDITOR, ...expected });
    return entries[0];
  }

  beforeAll(async () => {
    auditor = await gw().token({ sub: AUDITOR, roles: ['support'] });
  });

  describe('D10: every mutation writes one entry', () => {
    test('D12: createSmtpServer, updateSmtpServer and deleteSmtpServer are recorded, the password only as [changed]', async () => {
      const password = `pw-${unique('audit')}`;
      const started = Date.now();
      const created = await audited<{ createSmtpServer: { id: string } }>(
        `mutation CreateSmtpServer($input: SmtpServerInput!) { createSmtpServer(input: $input) { id } }`,
        {
          input: { name: 'Audited server', host: 'smtp.audit.example', port: 587, username: 'mailer', password, requiresAuth: true },
        },
      );
      const id = created.data.createSmtpServer.id;
      const createEntry = expectOne(created.entries, { action: 'createSmtpServer', entityType: 'SmtpServer', entityId: id });
      expect(new Date(createEntry.at).getTime()).toBeGreaterThanOrEqual(started - 1000);
      expect(new Date(createEntry.at).getTime()).toBeLessThanOrEqual(Date.now() + 1000);
      expect(change(createEntry, 'name')).toEqual({ field: 'name', before: null, after: 'Audited server' });
      expect(change(createEntry, 'host')).toEqual({ field: 'host', before: null, after: 'smtp.audit.example' });
      expect(change(createEntry, 'port')).toEqual({ field: 'port', before: null, after: '587' });
      expect(change(createEntry, 'password')).toEqual({ field: 'password', before: SECRET, after: SECRET });

      const renamed = await audited(`mutation UpdateSmtpServer($id: ID!) { updateSmtpServer(id: $id, input: { name: "Renamed server" }) { id } }`, { id });
      const renameEntry = expectOne(renamed.entries, { action: 'updateSmtpServer', entityType: 'SmtpServer', entityId: id });
      expect(renameEntry.changes).toEqual([{ field: 'name', before: 'Audited server', after: 'Renamed server' }]);

      const newPassword = `pw-${unique('audit-new')}`;
      const repassword = await audited(`mutation UpdateSmtpServer($id: ID!, $p: String) { updateSmtpServer(id: $id, input: { password: $p }) { id } }`, {
        id,
        p: newPassword,
      });
      expect(expectOne(repassword.entries, { action: 'updateSmtpServer', entityId: id }).changes).toEqual([
        { field: 'password', before: SECRET, after: SECRET },
      ]);

      // D12 clearing shows up as a password change too
      const moved = await audited(
        `mutation UpdateSmtpServer($id: ID!) { updateSmtpServer(id: $id, input: { host: "smtp2.audit.example" }) { id hasPassword } }`,
        { id },
      );
      const movedEntry = expectOne(moved.entries, { action: 'updateSmtpServer', entityId: id });
      expect(change(movedEntry, 'host')).toEqual({ field: 'host', before: 'smtp.audit.example', after: 'smtp2.audit.example' });
      expect(change(movedEntry, 'password')).toEqual({ field: 'password', before: SECRET, after: SECRET });

      await gw().ok(`mutation UpdateSmtpServer($id: ID!, $p: String) { updateSmtpServer(id: $id, input: { password: $p }) { id } }`, { id, p: password });
      const deleted = await audited(DELETE_SMTP_SERVER, { id });
      const deleteEntry = expectOne(deleted.entries, { action: 'deleteSmtpServer', entityType: 'SmtpServer', entityId: id });
      expect(change(deleteEntry, 'host')).toEqual({ field: 'host', before: 'smtp2.audit.example', after: null });
      expect(change(deleteEntry, 'password')).toEqual({ field: 'password', before: SECRET, after: SECRET });

      // neither the plaintext nor the ciphertext is anywhere in the audit table
      const rows: Array<{ changesJson: string }> = await gw().dataSource.query('SELECT changesJson FROM audit_entry');
      const all = rows.map((r) => r.changesJson).join('\n');
      expect(all).not.toContain(password);
      expect(all).not.toContain(newPassword);
      expect(all).not.toMatch(/v1:[0-9a-f]{12}:/);
    });

    test('D10: createLibrary, updateLibrary and deleteLibrary are recorded with their field changes', async () => {
      const code = unique('AUD');
      const created = await audited<{ createLibrary: { id: string } }>(
        `mutation CreateLibrary($input: LibraryInput!) { createLibrary(input: $input) { id } }`,
        {
          input: { code, name: 'Audit library', contactEmail: 'audit@example.cz' },
        },
      );
      const id = created.data.createLibrary.id;
      const entry = expectOne(created.entries, { action: 'createLibrary', entityType: 'Library', entityId: id });
      expect(change(entry, 'code')).toEqual({ field: 'code', before: null, after: code });
      expect(change(entry, 'contactEmail')).toEqual({ field: 'contactEmail', before: null, after: 'audit@example.cz' });
      expect(change(entry, 'shortName')).toBeUndefined();

      const updated = await audited(
        `mutation UpdateLibrary($id: ID!) { updateLibrary(id: $id, input: { shortName: "AUD", contactEmail: "new@example.cz" }) { id } }`,
        {
          id,
        },
      );
      expect(expectOne(updated.entries, { action: 'updateLibrary', entityType: 'Library', entityId: id }).changes).toEqual(
        expect.arrayContaining([
          { field: 'shortName', before: null, after: 'AUD' },
          { field: 'contactEmail', before: 'audit@example.cz', after: 'new@example.cz' },
        ]),
      );
      expect(updated.entries[0].changes).toHaveLength(2);

      const deleted = await audited(DELETE_LIBRARY, { id });
      const deleteEntry = expectOne(deleted.entries, { action: 'deleteLibrary', entityType: 'Library', entityId: id });
      expect(change(deleteEntry, 'code')).toEqual({ field: 'code', before: code, after: null });
    });

    test('D10: createDepartment, updateDepartment and deleteDepartment are recorded', async () => {
      const library = await createLibrary(gw());
      const created = await audited<{ createDepartment: { id: string } }>(
        `mutation CreateDepartment($input: DepartmentInput!) { createDepartment(input: $input) { id } }`,
        {
          input: { libraryId: library.id, name: 'Branch', email: 'branch@example.cz' },
        },
      );
      const id = created.data.createDepartment.id;
      const entry = expectOne(created.entries, { action: 'createDepartment', entityType: 'Department', entityId: id });
      expect(change(entry, 'name')).toEqual({ field: 'name', before: null, after: 'Branch' });
      expect(change(entry, 'libraryId')).toEqual({ field: 'libraryId', before: null, after: library.id });

      const updated = await audited(`mutation UpdateDepartment($id: ID!) { updateDepartment(id: $id, input: { email: null }) { id } }`, { id });
      expect(expectOne(updated.entries, { action: 'updateDepartment', entityType: 'Department', entityId: id }).changes).toEqual([
        { field: 'email', before: 'branch@example.cz', after: null },
      ]);

      const deleted = await audited(DELETE_DEPARTMENT, { id });
      expect(change(expectOne(deleted.entries, { action: 'deleteDepartment', entityType: 'Department', entityId: id }), 'name')).toEqual({
        field: 'name',
        before: 'Branch',
        after: null,
      });
    });

    test('D10: createSettingDefinition and deleteSettingDefinition are recorded under the key', async () => {
      const key = unique('AUDIT_DEF').toUpperCase();
      const created = await audited(`mutation CreateSettingDefinition($input: SettingDefinitionInput!) { createSettingDefinition(input: $input) { key } }`, {
        input: { key, description: 'Audited', valueType: 'STRING', allowedScopes: ['GLOBAL', 'LIBRARY'] },
      });
      const entry = expectOne(created.entries, { action: 'createSettingDefinition', entityType: 'SettingDefinition', entityId: key });
      expect(change(entry, 'valueType')).toEqual({ field: 'valueType', before: null, after: 'STRING' });
      expect(change(entry, 'allowedScopes')).toEqual({ field: 'allowedScopes', before: null, after: 'GLOBAL,LIBRARY' });

      const deleted = await audited(`mutation DeleteSettingDefinition($key: String!) { deleteSettingDefinition(key: $key) }`, { key });
      expect(change(expectOne(deleted.entries, { action: 'deleteSettingDefinition', entityType: 'SettingDefinition', entityId: key }), 'description')).toEqual({
        field: 'description',
        before: 'Audited',
        after: null,
      });
    });

    test('D10: setSetting (new, changed, blank) and clearSetting are recorded on the SettingValue', async () => {
      const library = await createLibrary(gw());
      const set = `mutation SetSetting($input: SetSettingInput!) { setSetting(input: $input) { id value } }`;
      const target = { key: 'ILS_EMAIL', scope: 'LIBRARY', libraryId: library.id };

      const first = await audited<{ setSetting: { id: string } }>(set, { input: { ...target, value: 'mvs@example.cz' } });
      const valueId = first.data.setSetting.id;
      const e1 = expectOne(first.entries, { action: 'setSetting', entityType: 'SettingValue', entityId: valueId });
      expect(change(e1, 'value')).toEqual({ field: 'value', before: null, after: 'mvs@example.cz' });

      const second = await audited(set, { input: { ...target, value: 'ill@example.cz' } });
      expect(expectOne(second.entries, { action: 'setSetting', entityId: valueId }).changes).toEqual([
        { field: 'value', before: 'mvs@example.cz', after: 'ill@example.cz' },
      ]);

      const blank = await audited(set, { input: { ...target, value: '  ' } });
      expect(change(expectOne(blank.entries, { action: 'setSetting', entityId: valueId }), 'value')).toEqual({
        field: 'value',
        before: 'ill@example.cz',
        after: null,
      });

      const again = await audited<{ setSetting: { id: string } }>(set, { input: { ...target, value: 'mvs@example.cz' } });
      const againId = again.data.setSetting.id;
      const cleared = await audited(`mutation ClearSetting($input: SettingTargetInput!) { clearSetting(input: $input) }`, { input: target });
      expect(change(expectOne(cleared.entries, { action: 'clearSetting', entityType: 'SettingValue', entityId: againId }), 'value')).toEqual({
        field: 'value',
        before: 'mvs@example.cz',
        after: null,
      });

      // nothing stored, nothing changed: no entry
      const noop = await audited<{ clearSetting: boolean }>(`mutation ClearSetting($input: SettingTargetInput!) { clearSetting(input: $input) }`, {
        input: target,
      });
      expect(noop.data.clearSetting).toBe(false);
      expect(noop.entries).toEqual([]);
    });

    test('D10: the actor is the token subject, also for a library-admin', async () => {
      const library = await createLibrary(gw());
      const admin = await gw().token({ sub: 'librarian-audit', roles: ['library-admin'], libraries: [Number(library.id)] });
      const since = await maxAuditId(gw());
      await gw().ok(`mutation UpdateLibrary($id: ID!) { updateLibrary(id: $id, input: { shortName: "BY-ADMIN" }) { id } }`, { id: library.id }, admin);
      const log = await gw().ok<{ auditLog: Entry[] }>(AUDIT_LOG, { entityType: 'Library', entityId: library.id });
      const mine = log.auditLog.filter((e) => Number(e.id) > since);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ actor: 'librarian-audit', action: 'updateLibrary' });
    });
  });

  describe('D10: a failed mutation leaves no entry', () => {
    let serverId: string;
    let libraryId: string;
    let departmentId: string;

    beforeAll(async () => {
      serverId = (await createServer(gw(), { username: 'u', password: 'failing-secret', requiresAuth: true })).id;
      libraryId = (await createLibrary(gw(), { smtpServerId: serverId })).id;
      departmentId = (await createDepartment(gw(), libraryId)).id;
    });

    const failing: Array<[string, string, (ids: { serverId: string; libraryId: string; departmentId: string }) => Record<string, unknown>, string]> = [
      [
        'createSmtpServer (port 0)',
        `mutation CreateSmtpServer($input: SmtpServerInput!) { createSmtpServer(input: $input) { id } }`,
        () => ({ input: { name: 'x', host: 'h.example', port: 0, password: 'failing-secret' } }),
        'BAD_USER_INPUT',
      ],
      [
        'updateSmtpServer (blank name)',
        `mutation UpdateSmtpServer($id: ID!) { updateSmtpServer(id: $id, input: { name: "  " }) { id } }`,
        (i) => ({ id: i.serverId }),
        'BAD_USER_INPUT',
      ],
      [
        'updateSmtpServer (password with CR/LF)',
        `mutation UpdateSmtpServer($id: ID!) { updateSmtpServer(id: $id, input: { password: "a\\r\\nb" }) { id } }`,
        (i) => ({ id: i.serverId }),
        'BAD_USER_INPUT',
      ],
      [
        'updateSmtpServer (own next server)',
        `mutation UpdateSmtpServer($id: ID!) { updateSmtpServer(id: $id, input: { nextServerId: $id }) { id } }`,
        (i) => ({ id: i.serverId }),
        'BAD_USER_INPUT',
      ],
      [
        'updateSmtpServer (stale version)',
        `mutation UpdateSmtpServer($id: ID!) { updateSmtpServer(id: $id, input: { name: "stale" }, expectedVersion: 999) { id } }`,
        (i) => ({ id: i.serverId }),
        'CONFLICT',
      ],
      ['deleteSmtpServer (in use)', DELETE_SMTP_SERVER, (i) => ({ id: i.serverId }), 'IN_USE'],
      [
        'createLibrary (invalid contactEmail)',
        `mutation CreateLibrary($input: LibraryInput!) { createLibrary(input: $input) { id } }`,
        () => ({ input: { code: unique('BAD'), name: 'x', contactEmail: 'not an address' } }),
        'BAD_USER_INPUT',
      ],
      [
        'updateLibrary (CR/LF in shortName)',
        `mutation UpdateLibrary($id: ID!) { updateLibrary(id: $id, input: { shortName: "a\\r\\nBcc: x@y.z" }) { id } }`,
        (i) => ({ id: i.libraryId }),
        'BAD_USER_INPUT',
      ],
      ['deleteLibrary (has departments)', DELETE_LIBRARY, (i) => ({ id: i.libraryId }), 'IN_USE'],
      ['createDepartment (unknown library)', `mutation { createDepartment(input: { libraryId: "999999", name: "x" }) { id } }`, () => ({}), 'BAD_USER_INPUT'],
      [
        'updateDepartment (invalid email)',
        `mutation UpdateDepartment($id: ID!) { updateDepartment(id: $id, input: { email: "nope" }) { id } }`,
        (i) => ({ id: i.departmentId }),
        'BAD_USER_INPUT',
      ],
      ['deleteDepartment (unknown)', `mutation { deleteDepartment(id: "999999") }`, () => ({}), 'NOT_FOUND'],
      [
        'createSettingDefinition (bad key)',
        `mutation { createSettingDefinition(input: { key: "lower case", valueType: STRING, allowedScopes: [GLOBAL] }) { key } }`,
        () => ({}),
        'BAD_USER_INPUT',
      ],
      ['deleteSettingDefinition (built in)', `mutation { deleteSettingDefinition(key: "ILS_EMAIL") }`, () => ({}), 'BAD_USER_INPUT'],
      [
        'setSetting (wrong type)',
        `mutation SetSetting($l: ID) { setSetting(input: { key: "ILS_EMAIL", scope: LIBRARY, libraryId: $l, value: "not an address" }) { id } }`,
        (i) => ({ l: i.libraryId }),
        'BAD_USER_INPUT',
      ],
      [
        'setSetting (scope not allowed)',
        `mutation { setSetting(input: { key: "ILS_EMAIL", scope: GLOBAL, value: "a@b.cz" }) { id } }`,
        () => ({}),
        'BAD_USER_INPUT',
      ],
      ['clearSetting (unknown key)', `mutation { clearSetting(input: { key: "NO_SUCH_KEY", scope: GLOBAL }) }`, () => ({}), 'BAD_USER_INPUT'],
    ];

    test.each(failing)('D10: %s fails and writes no audit entry', async (_title, query, variables, code) => {
      const before = await auditRowCount(gw());
      const result = await gw().gql(query, variables({ serverId, libraryId, departmentId }), auditor);
      expect(errorCodes(result)).toEqual([code]);
      expect(await auditRowCount(gw())).toBe(before);
    });

    test('R2: a refused (FORBIDDEN) mutation writes no audit entry', async () => {
      const before = await auditRowCount(gw());
      const result = await gw().gql(
        `mutation UpdateSmtpServer($id: ID!) { updateSmtpServer(id: $id, input: { name: "nope" }) { id } }`,
        { id: serverId },
        gw().tokens.service,
      );
      expect(errorCodes(result)).toEqual(['FORBIDDEN']);
      expect(await auditRowCount(gw())).toBe(before);
    });
  });

  describe('D10: reading the audit log', () => {
    let libraryId: string;
    let ownEntryIds: string[];

    beforeAll(async () => {
      libraryId = (await createLibrary(gw())).id;
      for (let i = 1; i <= 5; i += 1) {
        await gw().ok(`mutation UpdateLibrary($id: ID!, $s: String) { updateLibrary(id: $id, input: { shortName: $s }) { id } }`, {
          id: libraryId,
          s: `PAGE-${i}`,
        });
      }
      const all = await gw().ok<{ auditLog: Entry[] }>(AUDIT_LOG, { entityType: 'Library', entityId: libraryId });
      ownEntryIds = all.auditLog.map((e) => e.id);
    });

    test('D10: entries come newest first; limit and before page through them without gaps or repeats', async () => {
      expect(ownEntryIds).toHaveLength(6); // create + 5 updates
      const numeric = ownEntryIds.map(Number);
      expect([...numeric].sort((a, b) => b - a)).toEqual(numeric);
      const paged: string[] = [];
      let before: string | null = null;
      for (let page = 0; page < 10; page += 1) {
        const result: { auditLog: Entry[] } = await gw().ok<{ auditLog: Entry[] }>(AUDIT_LOG, { entityType: 'Library', entityId: libraryId, limit: 4, before });
        expect(result.auditLog.length).toBeLessThanOrEqual(4);
        if (result.auditLog.length === 0) break;
        paged.push(...result.auditLog.map((e) => e.id));
        before = result.auditLog[result.auditLog.length - 1].id;
      }
      expect(paged).toEqual(ownEntryIds);
      const newest = await gw().ok<{ auditLog: Entry[] }>(AUDIT_LOG, { entityType: 'Library', entityId: libraryId, limit: 1 });
      expect(newest.auditLog[0].changes).toEqual([{ field: 'shortName', before: 'PAGE-4', after: 'PAGE-5' }]);
    });

    test('D10: the default page is 50 entries; limit outside 1..500 and a malformed before are BAD_USER_INPUT', async () => {
      for (let i = 0; i < 3; i += 1) await createLibrary(gw());
      const total = await auditRowCount(gw());
      const page = await gw().ok<{ auditLog: Entry[] }>(`{ auditLog { id } }`);
      expect(page.auditLog).toHaveLength(Math.min(50, total));
      for (const [variables, field] of [
        [{ limit: 0 }, 'limit'],
        [{ limit: 501 }, 'limit'],
        [{ limit: -1 }, 'limit'],
        [{ before: 'abc' }, 'before'],
      ] as const) {
        const result = await gw().gql(AUDIT_LOG, variables);
        expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      }
    });

    test('D10: entityType and entityId filter the entries', async () => {
      const servers = await gw().ok<{ auditLog: Entry[] }>(AUDIT_LOG, { entityType: 'SmtpServer', limit: 500 });
      expect(servers.auditLog.length).toBeGreaterThan(0);
      expect(servers.auditLog.every((e) => e.entityType === 'SmtpServer')).toBe(true);
      const byId = await gw().ok<{ auditLog: Entry[] }>(AUDIT_LOG, { entityId: libraryId, limit: 500 });
      expect(byId.auditLog.every((e) => e.entityId === libraryId)).toBe(true);
      expect(byId.auditLog.map((e) => e.id)).toEqual(expect.arrayContaining(ownEntryIds));
      // a filter that can match nothing (a typo, the wrong case) is refused rather than answered with []
      for (const entityType of ['NoSuchType', 'library']) {
        const refused = await gw().gql(AUDIT_LOG, { entityType });
        expect(refused.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'entityType' });
        expect(refused.errors?.[0].message).toContain('Library');
      }
    });

    test('R2: a library-admin sees only entries of own libraries (their departments and setting values included)', async () => {
      const own = await createLibrary(gw());
      const foreign = await createLibrary(gw());
      const ownDepartment = await createDepartment(gw(), own.id);
      const foreignDepartment = await createDepartment(gw(), foreign.id);
      await gw().ok(`mutation SetSetting($l: ID) { setSetting(input: { key: "ILS_EMAIL", scope: LIBRARY, libraryId: $l, value: "own@example.cz" }) { id } }`, {
        l: own.id,
      });
      await gw().ok(
        `mutation SetSetting($l: ID) { setSetting(input: { key: "ILS_EMAIL", scope: LIBRARY, libraryId: $l, value: "foreign@example.cz" }) { id } }`,
        {
          l: foreign.id,
        },
      );
      await gw().ok(`mutation UpdateDepartment($id: ID!) { updateDepartment(id: $id, input: { email: "d@example.cz" }) { id } }`, { id: foreignDepartment.id });
      await createServer(gw());

      const admin = await gw().token({ sub: 'librarian-log', roles: ['library-admin'], libraries: [Number(own.id)] });
      const seen = (await gw().ok<{ auditLog: Entry[] }>(AUDIT_LOG, { limit: 500 }, admin)).auditLog;
      const keys = seen.map((e) => `${e.entityType}:${e.entityId}`);
      expect(keys).toEqual(expect.arrayContaining([`Library:${own.id}`, `Department:${ownDepartment.id}`]));
      expect(seen.some((e) => e.entityType === 'SettingValue')).toBe(true);
      expect(keys).not.toContain(`Library:${foreign.id}`);
      expect(keys).not.toContain(`Department:${foreignDepartment.id}`);
      expect(seen.every((e) => e.entityType !== 'SmtpServer' && e.entityType !== 'SettingDefinition')).toBe(true);
      expect(JSON.stringify(seen)).not.toContain('foreign@example.cz');

      // an explicit filter on a foreign library or a server finds nothing rather than leaking it
      expect((await gw().ok<{ auditLog: Entry[] }>(AUDIT_LOG, { entityType: 'Library', entityId: foreign.id }, admin)).auditLog).toEqual([]);
      expect((await gw().ok<{ auditLog: Entry[] }>(AUDIT_LOG, { entityType: 'SmtpServer' }, admin)).auditLog).toEqual([]);

      // a library-admin without libraries sees nothing
      const empty = await gw().token({ sub: 'librarian-none', roles: ['library-admin'] });
      expect((await gw().ok<{ auditLog: Entry[] }>(AUDIT_LOG, {}, empty)).auditLog).toEqual([]);
    });

    test('R2: service tokens (with or without mail:credentials) and tokens without roles get FORBIDDEN; no token is UNAUTHENTICATED', async () => {
      for (const token of [gw().tokens.service, gw().tokens.credentials, await gw().token({ sub: 'x', roles: [] })]) {
        const result = await gw().gql(AUDIT_LOG, {}, token);
        expect(errorCodes(result)).toEqual(['FORBIDDEN']);
        expect(result.data ?? null).toBeNull();
      }
      expect(errorCodes(await gw().gql(AUDIT_LOG, {}, null))).toEqual(['UNAUTHENTICATED']);
    });
  });
});
