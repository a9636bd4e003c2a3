import { DELETE_SMTP_SERVER } from '../support/documents';
import { describeEachDatabase } from '../support/gateway';
import { expectNothingWritten, tableState } from '../support/db-state';
import { expectError } from '../support/expect-error';
import { createDepartment, createLibrary, createServer } from '../support/fixtures';

/**
 * Hierarchical settings through the real HTTP API on both databases: D3 (definitions, typed
 * and scoped values, department -> library -> global lookup with its trace), R6/R9 (the
 * built-in ILS_* items), D7 (trace) and D10 (validation naming the field, nothing written on
 * failure, IN_USE).
 */

const DEFINITIONS = `{ settingDefinitions { key description valueType allowedScopes builtIn } }`;
const CREATE_DEFINITION = `mutation CreateSettingDefinition($input: SettingDefinitionInput!) { createSettingDefinition(input: $input) { key description valueType allowedScopes builtIn } }`;
const DELETE_DEFINITION = `mutation DeleteSettingDefinition($key: String!) { deleteSettingDefinition(key: $key) }`;
const VALUE_FIELDS = `
  id key scope value updatedAt updatedBy
  definition { key valueType }
  library { id }
  department { id }
  smtpServer { id name }
`;
const SET = `mutation SetSetting($input: SetSettingInput!) { setSetting(input: $input) { ${VALUE_FIELDS} } }`;
const CLEAR = `mutation ClearSetting($input: SettingTargetInput!) { clearSetting(input: $input) }`;
const VALUES = `query SettingValues($key: String) { settingValues(key: $key) { ${VALUE_FIELDS} } }`;
const EFFECTIVE = `query EffectiveSetting($key: String!, $libraryId: ID, $departmentId: ID) {
  effectiveSetting(key: $key, libraryId: $libraryId, departmentId: $departmentId) {
    key value
    smtpServer { id name }
    source { id scope value }
    trace { target source field outcome value note }
  }
}`;

interface Step {
  target: string;
  source: string;
  field: string;
  outcome: string;
  value: string | null;
  note: string | null;
}

describeEachDatabase('Settings', (gw) => {
  async function createDefinition(key: string, valueType: string, allowedScopes: string[], description: string | null = null): Promise<Record<string, any>> {
    return (await gw().ok<{ createSettingDefinition: Record<string, any> }>(CREATE_DEFINITION, { input: { key, valueType, allowedScopes, description } }))
      .createSettingDefinition;
  }
  async function set(input: Record<string, unknown>): Promise<Record<string, any>> {
    return (await gw().ok<{ setSetting: Record<string, any> }>(SET, { input })).setSetting;
  }
  async function clear(input: Record<string, unknown>): Promise<boolean> {
    return (await gw().ok<{ clearSetting: boolean }>(CLEAR, { input })).clearSetting;
  }
  async function values(key?: string): Promise<Array<Record<string, any>>> {
    return (await gw().ok<{ settingValues: Array<Record<string, any>> }>(VALUES, { key })).settingValues;
  }
  async function effective(key: string, libraryId?: string | null, departmentId?: string | null): Promise<Record<string, any>> {
    return (await gw().ok<{ effectiveSetting: Record<string, any> }>(EFFECTIVE, { key, libraryId, departmentId })).effectiveSetting;
  }
  function steps(trace: Step[]): Array<[string, string]> {
    return trace.map((s) => [s.source, s.outcome]);
  }

  let library: { id: string; code: string };
  let department: { id: string; name: string };
  let otherLibrary: { id: string; code: string };
  let otherDepartment: { id: string; name: string };
  let server: { id: string; name: string };

  beforeAll(async () => {
    library = await createLibrary(gw());
    department = await createDepartment(gw(), library.id);
    otherLibrary = await createLibrary(gw());
    otherDepartment = await createDepartment(gw(), otherLibrary.id);
    server = await createServer(gw());
    await createDefinition('NOTICE_FOOTER', 'STRING', ['GLOBAL', 'LIBRARY', 'DEPARTMENT'], 'Text appended to every notice');
    await createDefinition('REMINDER_DAYS', 'INT', ['GLOBAL', 'LIBRARY']);
    await createDefinition('SEND_COPY', 'BOOLEAN', ['LIBRARY', 'DEPARTMENT']);
    await createDefinition('REPLY_TO', 'EMAIL', ['GLOBAL', 'DEPARTMENT']);
    await createDefinition('BULK_SMTP_SERVER', 'SMTP_SERVER', ['GLOBAL', 'LIBRARY', 'DEPARTMENT']);
  });

  describe('D3: definitions', () => {
    test('D3: the built-in definitions are present with their types and scopes', async () => {
      const all = (await gw().ok<{ settingDefinitions: Array<Record<string, any>> }>(DEFINITIONS)).settingDefinitions;
      const byKey = new Map(all.map((d) => [d.key, d]));
      expect(byKey.get('DEFAULT_SMTP_SERVER')).toMatchObject({ valueType: 'SMTP_SERVER', allowedScopes: ['GLOBAL'], builtIn: true });
      expect(byKey.get('ILS_SMTP_SERVER')).toMatchObject({ valueType: 'SMTP_SERVER', allowedScopes: ['LIBRARY'], builtIn: true });
      expect(byKey.get('ILS_EMAIL')).toMatchObject({ valueType: 'EMAIL', allowedScopes: ['LIBRARY'], builtIn: true });
      for (const key of ['DEFAULT_SMTP_SERVER', 'ILS_SMTP_SERVER', 'ILS_EMAIL']) expect(byKey.get(key)!.description).toEqual(expect.any(String));
      expect(
        all
          .filter((d) => d.builtIn)
          .map((d) => d.key)
          .sort(),
      ).toEqual(['DEFAULT_SMTP_SERVER', 'ILS_EMAIL', 'ILS_SMTP_SERVER']);
    });

    test.each(['DEFAULT_SMTP_SERVER', 'ILS_SMTP_SERVER', 'ILS_EMAIL'])('D3: built-in %s cannot be deleted', async (key) => {
      const result = await expectNothingWritten(gw(), () => gw().gql(DELETE_DEFINITION, { key }));
      expect(['BAD_USER_INPUT', 'FORBIDDEN', 'CONFLICT']).toContain(result.errors![0].extensions?.code);
      const all = (await gw().ok<{ settingDefinitions: Array<{ key: string }> }>(DEFINITIONS)).settingDefinitions;
      expect(all.map((d) => d.key)).toContain(key);
    });

    test('D3: support staff can create a custom definition; it is not built in', async () => {
      const created = await createDefinition('NOTICE_SIGNATURE', 'STRING', ['DEPARTMENT', 'GLOBAL', 'LIBRARY'], 'Signature under notices');
      expect(created).toEqual({
        key: 'NOTICE_SIGNATURE',
        description: 'Signature under notices',
        valueType: 'STRING',
        allowedScopes: ['GLOBAL', 'LIBRARY', 'DEPARTMENT'],
        builtIn: false,
      });
      const all = (await gw().ok<{ settingDefinitions: Array<Record<string, any>> }>(DEFINITIONS)).settingDefinitions;
      expect(all.find((d) => d.key === 'NOTICE_FOOTER')).toEqual({
        key: 'NOTICE_FOOTER',
        description: 'Text appended to every notice',
        valueType: 'STRING',
        allowedScopes: ['GLOBAL', 'LIBRARY', 'DEPARTMENT'],
        builtIn: false,
      });
    });

    test('D10: a duplicate definition key is CONFLICT, also for a built-in key', async () => {
      expectError(
        await expectNothingWritten(gw(), () => gw().gql(CREATE_DEFINITION, { input: { key: 'NOTICE_FOOTER', valueType: 'INT', allowedScopes: ['GLOBAL'] } })),
        'CONFLICT',
      );
      expectError(
        await expectNothingWritten(gw(), () => gw().gql(CREATE_DEFINITION, { input: { key: 'ILS_EMAIL', valueType: 'EMAIL', allowedScopes: ['LIBRARY'] } })),
        'CONFLICT',
      );
    });

    test.each([
      ['a lower-case key', { key: 'notice_footer_2', valueType: 'STRING', allowedScopes: ['GLOBAL'] }, 'key'],
      ['an empty key', { key: '', valueType: 'STRING', allowedScopes: ['GLOBAL'] }, 'key'],
      ['a key with a line break', { key: 'A\nB', valueType: 'STRING', allowedScopes: ['GLOBAL'] }, 'key'],
      ['no allowed scopes', { key: 'NO_SCOPES', valueType: 'STRING', allowedScopes: [] }, 'allowedScopes'],
    ])('D10: createSettingDefinition with %s is BAD_USER_INPUT on that field', async (_title, input, field) => {
      expectError(await expectNothingWritten(gw(), () => gw().gql(CREATE_DEFINITION, { input })), 'BAD_USER_INPUT', { field });
    });

    test('D10: deleting a custom definition with values is IN_USE; without values it is deleted', async () => {
      await createDefinition('TEMP_SETTING', 'STRING', ['GLOBAL', 'LIBRARY']);
      const globalValue = await set({ key: 'TEMP_SETTING', scope: 'GLOBAL', value: 'g' });
      const libraryValue = await set({ key: 'TEMP_SETTING', scope: 'LIBRARY', libraryId: library.id, value: 'l' });
      const extensions = expectError(await expectNothingWritten(gw(), () => gw().gql(DELETE_DEFINITION, { key: 'TEMP_SETTING' })), 'IN_USE');
      expect(extensions.usedBy).toEqual(
        expect.arrayContaining([
          { type: 'SettingValue', id: globalValue.id, name: expect.stringContaining('TEMP_SETTING') },
          { type: 'SettingValue', id: libraryValue.id, name: expect.stringContaining('TEMP_SETTING') },
        ]),
      );
      expect(extensions.usedBy).toHaveLength(2);
      expect(await clear({ key: 'TEMP_SETTING', scope: 'GLOBAL' })).toBe(true);
      expect(await clear({ key: 'TEMP_SETTING', scope: 'LIBRARY', libraryId: library.id })).toBe(true);
      expect((await gw().ok<{ deleteSettingDefinition: string }>(DELETE_DEFINITION, { key: 'TEMP_SETTING' })).deleteSettingDefinition).toBe('TEMP_SETTING');
      const all = (await gw().ok<{ settingDefinitions: Array<{ key: string }> }>(DEFINITIONS)).settingDefinitions;
      expect(all.map((d) => d.key)).not.toContain('TEMP_SETTING');
    });

    test('deleting an unknown definition is NOT_FOUND', async () => {
      expectError(await expectNothingWritten(gw(), () => gw().gql(DELETE_DEFINITION, { key: 'NO_SUCH_SETTING' })), 'NOT_FOUND');
    });
  });

  describe('D3: setting values are validated against the definition', () => {
    test.each([
      ['INT', 'REMINDER_DAYS', 'GLOBAL', ' 42 ', '42'],
      ['INT negative', 'REMINDER_DAYS', 'GLOBAL', '-3', '-3'],
      ['BOOLEAN', 'SEND_COPY', 'LIBRARY', 'TRUE', 'true'],
      ['BOOLEAN false', 'SEND_COPY', 'LIBRARY', 'false', 'false'],
      ['EMAIL', 'REPLY_TO', 'GLOBAL', 'reply@example.cz', 'reply@example.cz'],
      ['STRING', 'NOTICE_FOOTER', 'GLOBAL', 'S pozdravem', 'S pozdravem'],
    ])('D3: a valid %s value is stored (normalised)', async (_title, key, scope, value, stored) => {
      const input: Record<string, unknown> = { key, scope, value };
      if (scope === 'LIBRARY') input.libraryId = otherLibrary.id;
      const result = await set(input);
      expect(result).toMatchObject({ key, scope, value: stored, definition: { key }, updatedBy: 'support-1' });
      expect(await clear({ key, scope, libraryId: input.libraryId })).toBe(true);
    });

    test.each([
      ['INT with letters', 'REMINDER_DAYS', 'GLOBAL', 'abc'],
      ['INT with a fraction', 'REMINDER_DAYS', 'GLOBAL', '1.5'],
      ['INT out of range', 'REMINDER_DAYS', 'GLOBAL', '99999999999'],
      ['BOOLEAN yes', 'SEND_COPY', 'LIBRARY', 'yes'],
      ['BOOLEAN 1', 'SEND_COPY', 'LIBRARY', '1'],
      ['EMAIL without domain', 'REPLY_TO', 'GLOBAL', 'reply@'],
      ['EMAIL with CR/LF', 'ILS_EMAIL', 'LIBRARY', 'mvs@example.cz\r\nBcc: x@evil.test'],
      ['SMTP_SERVER unknown id', 'DEFAULT_SMTP_SERVER', 'GLOBAL', '987654'],
      ['SMTP_SERVER not an id', 'BULK_SMTP_SERVER', 'GLOBAL', 'smtp.example.org'],
    ])('D3/D10: setSetting with %s is BAD_USER_INPUT on value', async (_title, key, scope, value) => {
      const input: Record<string, unknown> = { key, scope, value };
      if (scope === 'LIBRARY') input.libraryId = library.id;
      expectError(await expectNothingWritten(gw(), () => gw().gql(SET, { input })), 'BAD_USER_INPUT', { field: 'value' });
    });

    test.each([
      ['an unknown key', { key: 'NO_SUCH_SETTING', scope: 'GLOBAL', value: 'x' }, 'key'],
      ['a scope the definition does not allow (ILS_EMAIL at GLOBAL)', { key: 'ILS_EMAIL', scope: 'GLOBAL', value: 'a@example.cz' }, 'scope'],
      [
        'a scope the definition does not allow (DEFAULT_SMTP_SERVER at LIBRARY)',
        { key: 'DEFAULT_SMTP_SERVER', scope: 'LIBRARY', libraryId: '1', value: '1' },
        'scope',
      ],
      [
        'a scope the definition does not allow (REMINDER_DAYS at DEPARTMENT)',
        { key: 'REMINDER_DAYS', scope: 'DEPARTMENT', departmentId: '1', value: '1' },
        'scope',
      ],
      ['LIBRARY scope without libraryId', { key: 'ILS_EMAIL', scope: 'LIBRARY', value: 'a@example.cz' }, 'libraryId'],
      ['LIBRARY scope with an unknown libraryId', { key: 'ILS_EMAIL', scope: 'LIBRARY', libraryId: '987654', value: 'a@example.cz' }, 'libraryId'],
      ['DEPARTMENT scope without departmentId', { key: 'NOTICE_FOOTER', scope: 'DEPARTMENT', value: 'x' }, 'departmentId'],
      ['DEPARTMENT scope with an unknown departmentId', { key: 'NOTICE_FOOTER', scope: 'DEPARTMENT', departmentId: '987654', value: 'x' }, 'departmentId'],
      ['GLOBAL scope with a libraryId', { key: 'NOTICE_FOOTER', scope: 'GLOBAL', libraryId: '1', value: 'x' }, 'libraryId'],
    ])('D3/D10: setSetting with %s is BAD_USER_INPUT naming the field', async (_title, input, field) => {
      expectError(await expectNothingWritten(gw(), () => gw().gql(SET, { input })), 'BAD_USER_INPUT', { field });
    });

    test("D3/D10: a DEPARTMENT value whose libraryId is not the department's library is BAD_USER_INPUT", async () => {
      const input = { key: 'NOTICE_FOOTER', scope: 'DEPARTMENT', departmentId: department.id, libraryId: otherLibrary.id, value: 'x' };
      expectError(await expectNothingWritten(gw(), () => gw().gql(SET, { input })), 'BAD_USER_INPUT', { field: 'libraryId' });
    });

    test('D3/D10: clearSetting validates its target the same way', async () => {
      expectError(await expectNothingWritten(gw(), () => gw().gql(CLEAR, { input: { key: 'ILS_EMAIL', scope: 'GLOBAL' } })), 'BAD_USER_INPUT', {
        field: 'scope',
      });
      expectError(await expectNothingWritten(gw(), () => gw().gql(CLEAR, { input: { key: 'ILS_EMAIL', scope: 'LIBRARY' } })), 'BAD_USER_INPUT', {
        field: 'libraryId',
      });
    });
  });

  describe('D3: set, overwrite, clear', () => {
    test('D3: setSetting overwrites the value at the same scope in place (same id, one row, new updatedBy)', async () => {
      const first = await set({ key: 'NOTICE_FOOTER', scope: 'LIBRARY', libraryId: otherLibrary.id, value: 'first' });
      const alice = await gw().token({ sub: 'alice', roles: ['support'] });
      const second = await gw().gql<{ setSetting: Record<string, any> }>(
        SET,
        { input: { key: 'NOTICE_FOOTER', scope: 'LIBRARY', libraryId: otherLibrary.id, value: 'second' } },
        alice,
      );
      expect(second.errors).toBeUndefined();
      expect(second.data!.setSetting).toMatchObject({ id: first.id, value: 'second', updatedBy: 'alice' });
      expect((await values('NOTICE_FOOTER')).filter((v) => v.library?.id === otherLibrary.id && v.scope === 'LIBRARY')).toHaveLength(1);
      expect(await clear({ key: 'NOTICE_FOOTER', scope: 'LIBRARY', libraryId: otherLibrary.id })).toBe(true);
    });

    test('D3: clearSetting returns true when a value was removed and false when there was none', async () => {
      await set({ key: 'ILS_EMAIL', scope: 'LIBRARY', libraryId: otherLibrary.id, value: 'mvs@example.cz' });
      expect(await clear({ key: 'ILS_EMAIL', scope: 'LIBRARY', libraryId: otherLibrary.id })).toBe(true);
      expect(await clear({ key: 'ILS_EMAIL', scope: 'LIBRARY', libraryId: otherLibrary.id })).toBe(false);
      expect((await values('ILS_EMAIL')).filter((v) => v.library?.id === otherLibrary.id)).toEqual([]);
    });

    test.each([
      ['an empty string', ''],
      ['blanks', '   '],
      ['null', null],
    ])('API: setSetting with %s as value clears the value, like clearSetting', async (_title, blank) => {
      const target = { key: 'ILS_EMAIL', scope: 'LIBRARY', libraryId: otherLibrary.id };
      const stored = await set({ ...target, value: 'mvs@example.cz' });
      const before = await tableState(gw());
      const cleared = await set({ ...target, value: blank });
      expect(cleared).toMatchObject({ key: 'ILS_EMAIL', scope: 'LIBRARY', value: null });
      expect(cleared.id).toBe(stored.id);
      const after = await tableState(gw());
      expect(after.counts.setting_value).toBe(before.counts.setting_value - 1);
      expect((await values('ILS_EMAIL')).filter((v) => v.library?.id === otherLibrary.id)).toEqual([]);
      expect(await clear(target)).toBe(false);
      expect((await effective('ILS_EMAIL', otherLibrary.id)).value).toBeNull();
    });

    test('API: setSetting with a blank value when nothing is set writes nothing and answers with a null value', async () => {
      const target = { key: 'NOTICE_FOOTER', scope: 'DEPARTMENT', departmentId: otherDepartment.id };
      const before = await tableState(gw());
      const result = await gw().gql<{ setSetting: Record<string, any> }>(SET, { input: { ...target, value: '' } });
      expect(await tableState(gw())).toEqual(before);
      expect(result.errors).toBeUndefined();
      const answer = result.data!.setSetting;
      expect(answer).toMatchObject({ key: 'NOTICE_FOOTER', scope: 'DEPARTMENT', value: null, department: { id: otherDepartment.id } });
      expect(answer.id).toEqual(expect.any(String));
      expect((await values()).map((v) => v.id)).not.toContain(answer.id);
      expect(await clear(target)).toBe(false);
    });

    test('D3: settingValues(key) lists only that key; without a key it lists every value', async () => {
      const footer = await set({ key: 'NOTICE_FOOTER', scope: 'DEPARTMENT', departmentId: otherDepartment.id, value: 'footer' });
      const days = await set({ key: 'REMINDER_DAYS', scope: 'LIBRARY', libraryId: otherLibrary.id, value: '7' });
      const footers = await values('NOTICE_FOOTER');
      expect(footers.map((v) => v.id)).toContain(footer.id);
      expect(footers.every((v) => v.key === 'NOTICE_FOOTER')).toBe(true);
      const reminders = await values('REMINDER_DAYS');
      expect(reminders.map((v) => v.id)).toEqual([days.id]);
      const all = await values();
      expect(all.map((v) => v.id)).toEqual(expect.arrayContaining([footer.id, days.id]));
      expect(await values('NO_SUCH_SETTING')).toEqual([]);
      await clear({ key: 'NOTICE_FOOTER', scope: 'DEPARTMENT', departmentId: otherDepartment.id });
      await clear({ key: 'REMINDER_DAYS', scope: 'LIBRARY', libraryId: otherLibrary.id });
    });

    test('D3: SettingValue links to its definition, library, department and SMTP server', async () => {
      const serverValue = await set({ key: 'BULK_SMTP_SERVER', scope: 'DEPARTMENT', departmentId: otherDepartment.id, value: server.id });
      expect(serverValue).toMatchObject({
        key: 'BULK_SMTP_SERVER',
        scope: 'DEPARTMENT',
        value: server.id,
        definition: { key: 'BULK_SMTP_SERVER', valueType: 'SMTP_SERVER' },
        library: { id: otherLibrary.id },
        department: { id: otherDepartment.id },
        smtpServer: { id: server.id, name: server.name },
      });
      const libraryValue = await set({ key: 'ILS_SMTP_SERVER', scope: 'LIBRARY', libraryId: otherLibrary.id, value: ` ${server.id} ` });
      expect(libraryValue).toMatchObject({ value: server.id, library: { id: otherLibrary.id }, department: null, smtpServer: { id: server.id } });
      const globalValue = await set({ key: 'NOTICE_FOOTER', scope: 'GLOBAL', value: 'g' });
      expect(globalValue).toMatchObject({ library: null, department: null, smtpServer: null, definition: { key: 'NOTICE_FOOTER', valueType: 'STRING' } });
      const listed = await values('BULK_SMTP_SERVER');
      expect(listed.find((v) => v.id === serverValue.id)).toEqual(serverValue);

      const links = await gw().ok<{ library: Record<string, any>; department: Record<string, any> }>(
        `query Library($l: ID!, $d: ID!) { library(id: $l) { settings { id key } } department(id: $d) { settings { id key } } }`,
        { l: otherLibrary.id, d: otherDepartment.id },
      );
      expect(links.library.settings).toEqual([{ id: libraryValue.id, key: 'ILS_SMTP_SERVER' }]);
      expect(links.department.settings).toEqual([{ id: serverValue.id, key: 'BULK_SMTP_SERVER' }]);

      await clear({ key: 'BULK_SMTP_SERVER', scope: 'DEPARTMENT', departmentId: otherDepartment.id });
      await clear({ key: 'ILS_SMTP_SERVER', scope: 'LIBRARY', libraryId: otherLibrary.id });
      await clear({ key: 'NOTICE_FOOTER', scope: 'GLOBAL' });
    });

    test('D10: deleting a server used by a setting value is IN_USE and lists the value', async () => {
      const used = await createServer(gw());
      const value = await set({ key: 'DEFAULT_SMTP_SERVER', scope: 'GLOBAL', value: used.id });
      const extensions = expectError(await expectNothingWritten(gw(), () => gw().gql(DELETE_SMTP_SERVER, { id: used.id })), 'IN_USE');
      expect(extensions.usedBy).toEqual([{ type: 'SettingValue', id: value.id, name: expect.stringContaining('DEFAULT_SMTP_SERVER') }]);
      expect(await clear({ key: 'DEFAULT_SMTP_SERVER', scope: 'GLOBAL' })).toBe(true);
      expect((await gw().ok<{ deleteSmtpServer: string }>(DELETE_SMTP_SERVER, { id: used.id })).deleteSmtpServer).toBe(used.id);
    });
  });

  describe('D3/D7: effectiveSetting walks department -> library -> global', () => {
    const KEY = 'NOTICE_FOOTER';
    afterEach(async () => {
      await clear({ key: KEY, scope: 'DEPARTMENT', departmentId: department.id });
      await clear({ key: KEY, scope: 'LIBRARY', libraryId: library.id });
      await clear({ key: KEY, scope: 'GLOBAL' });
    });

    test('D3/D7: the department value wins and the trace stops there', async () => {
      await set({ key: KEY, scope: 'GLOBAL', value: 'global text' });
      await set({ key: KEY, scope: 'LIBRARY', libraryId: library.id, value: 'library text' });
      const departmentValue = await set({ key: KEY, scope: 'DEPARTMENT', departmentId: department.id, value: 'department text' });
      const result = await effective(KEY, library.id, department.id);
      expect(result).toMatchObject({
        key: KEY,
        value: 'department text',
        smtpServer: null,
        source: { id: departmentValue.id, scope: 'DEPARTMENT', value: 'department text' },
      });
      expect(result.trace).toEqual([{ target: 'SETTING', source: 'DEPARTMENT_SETTING', field: KEY, outcome: 'USED', value: 'department text', note: null }]);
    });

    test('D3/D7: without a department value the library value is used after an EMPTY department step', async () => {
      await set({ key: KEY, scope: 'GLOBAL', value: 'global text' });
      const libraryValue = await set({ key: KEY, scope: 'LIBRARY', libraryId: library.id, value: 'library text' });
      const result = await effective(KEY, library.id, department.id);
      expect(result).toMatchObject({ value: 'library text', source: { id: libraryValue.id, scope: 'LIBRARY' } });
      expect(result.trace).toEqual([
        { target: 'SETTING', source: 'DEPARTMENT_SETTING', field: KEY, outcome: 'EMPTY', value: null, note: null },
        { target: 'SETTING', source: 'LIBRARY_SETTING', field: KEY, outcome: 'USED', value: 'library text', note: null },
      ]);
    });

    test('D3/D7: with only a global value the trace is EMPTY, EMPTY, USED', async () => {
      const globalValue = await set({ key: KEY, scope: 'GLOBAL', value: 'global text' });
      const result = await effective(KEY, library.id, department.id);
      expect(result).toMatchObject({ value: 'global text', source: { id: globalValue.id, scope: 'GLOBAL' } });
      expect(steps(result.trace)).toEqual([
        ['DEPARTMENT_SETTING', 'EMPTY'],
        ['LIBRARY_SETTING', 'EMPTY'],
        ['GLOBAL_SETTING', 'USED'],
      ]);
      expect(result.trace[2].value).toBe('global text');
    });

    test('D3/D7: with no value anywhere the result is null and every step is EMPTY', async () => {
      const result = await effective(KEY, library.id, department.id);
      expect(result).toMatchObject({ value: null, source: null, smtpServer: null });
      expect(steps(result.trace)).toEqual([
        ['DEPARTMENT_SETTING', 'EMPTY'],
        ['LIBRARY_SETTING', 'EMPTY'],
        ['GLOBAL_SETTING', 'EMPTY'],
      ]);
    });

    test('D3/D7: without a department the department step is SKIPPED "no department given"', async () => {
      await set({ key: KEY, scope: 'DEPARTMENT', departmentId: department.id, value: 'department text' });
      await set({ key: KEY, scope: 'LIBRARY', libraryId: library.id, value: 'library text' });
      const result = await effective(KEY, library.id, null);
      expect(result.value).toBe('library text');
      expect(result.trace).toEqual([
        { target: 'SETTING', source: 'DEPARTMENT_SETTING', field: KEY, outcome: 'SKIPPED', value: null, note: 'no department given' },
        { target: 'SETTING', source: 'LIBRARY_SETTING', field: KEY, outcome: 'USED', value: 'library text', note: null },
      ]);
    });

    test('D3: a department alone implies its library', async () => {
      await set({ key: KEY, scope: 'LIBRARY', libraryId: library.id, value: 'library text' });
      const result = await effective(KEY, null, department.id);
      expect(result.value).toBe('library text');
      expect(steps(result.trace)).toEqual([
        ['DEPARTMENT_SETTING', 'EMPTY'],
        ['LIBRARY_SETTING', 'USED'],
      ]);
    });

    test('D3: values of another library or department are never used', async () => {
      await set({ key: KEY, scope: 'LIBRARY', libraryId: otherLibrary.id, value: 'other library' });
      await set({ key: KEY, scope: 'DEPARTMENT', departmentId: otherDepartment.id, value: 'other department' });
      try {
        const result = await effective(KEY, library.id, department.id);
        expect(result).toMatchObject({ value: null, source: null });
      } finally {
        await clear({ key: KEY, scope: 'LIBRARY', libraryId: otherLibrary.id });
        await clear({ key: KEY, scope: 'DEPARTMENT', departmentId: otherDepartment.id });
      }
    });

    test('D3: only allowed scopes are looked at (ILS_EMAIL is LIBRARY only)', async () => {
      await set({ key: 'ILS_EMAIL', scope: 'LIBRARY', libraryId: library.id, value: 'mvs@example.cz' });
      try {
        const result = await effective('ILS_EMAIL', library.id, department.id);
        expect(result.value).toBe('mvs@example.cz');
        expect(result.trace).toEqual([
          { target: 'SETTING', source: 'LIBRARY_SETTING', field: 'ILS_EMAIL', outcome: 'USED', value: 'mvs@example.cz', note: null },
        ]);
      } finally {
        await clear({ key: 'ILS_EMAIL', scope: 'LIBRARY', libraryId: library.id });
      }
    });

    test('R6/D3: an SMTP_SERVER setting resolves to the server and shows its name in the trace', async () => {
      const value = await set({ key: 'ILS_SMTP_SERVER', scope: 'LIBRARY', libraryId: library.id, value: server.id });
      try {
        const result = await effective('ILS_SMTP_SERVER', library.id);
        expect(result).toMatchObject({ value: server.id, smtpServer: { id: server.id, name: server.name }, source: { id: value.id, scope: 'LIBRARY' } });
        expect(result.trace).toEqual([
          { target: 'SETTING', source: 'LIBRARY_SETTING', field: 'ILS_SMTP_SERVER', outcome: 'USED', value: server.name, note: null },
        ]);
      } finally {
        await clear({ key: 'ILS_SMTP_SERVER', scope: 'LIBRARY', libraryId: library.id });
      }
    });

    test('API: effectiveSetting with a department of another library is BAD_USER_INPUT', async () => {
      const result = await gw().gql(EFFECTIVE, { key: KEY, libraryId: library.id, departmentId: otherDepartment.id });
      expectError(result, 'BAD_USER_INPUT', { field: 'departmentId' });
    });

    test.each([
      ['an unknown library', { libraryId: '987654' }],
      ['an unknown department', { departmentId: '987654' }],
      ['an unknown key', { key: 'NO_SUCH_SETTING', libraryId: 'LIB' }],
    ])('API: effectiveSetting with %s is NOT_FOUND', async (_title, args) => {
      const vars: Record<string, unknown> = { key: KEY, ...args };
      if (vars.libraryId === 'LIB') vars.libraryId = library.id;
      expectError(await gw().gql(EFFECTIVE, vars), 'NOT_FOUND');
    });
  });
});
