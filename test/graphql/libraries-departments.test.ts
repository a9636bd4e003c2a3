import { DELETE_DEPARTMENT, DELETE_LIBRARY } from '../support/documents';
import { describeEachDatabase } from '../support/gateway';
import { expectNothingWritten } from '../support/db-state';
import { expectError } from '../support/expect-error';
import { createDepartment, createLibrary, createServer, unique } from '../support/fixtures';

/**
 * Libraries and departments through the real HTTP API on both databases: R4/R5 (server links),
 * R7/R8 (sender addresses), R10 (short name) and D10 (validation naming the field, nothing
 * written on failure, unique codes, IN_USE, versions, audit columns).
 */

const LIBRARY_FIELDS = `
  id code name shortName contactEmail version createdAt updatedAt updatedBy
  smtpServer { id name }
  departments { id name }
  settings { id key value }
`;
const DEPARTMENT_FIELDS = `
  id name email version createdAt updatedAt updatedBy
  library { id code }
  smtpServer { id name }
  settings { id key value }
`;

const CREATE_LIBRARY = `mutation CreateLibrary($input: LibraryInput!) { createLibrary(input: $input) { ${LIBRARY_FIELDS} } }`;
const UPDATE_LIBRARY = `mutation UpdateLibrary($id: ID!, $input: LibraryUpdateInput!, $v: Int) { updateLibrary(id: $id, input: $input, expectedVersion: $v) { ${LIBRARY_FIELDS} } }`;
const GET_LIBRARY = `query Library($id: ID!) { library(id: $id) { ${LIBRARY_FIELDS} } }`;
const CREATE_DEPARTMENT = `mutation CreateDepartment($input: DepartmentInput!) { createDepartment(input: $input) { ${DEPARTMENT_FIELDS} } }`;
const UPDATE_DEPARTMENT = `mutation UpdateDepartment($id: ID!, $input: DepartmentUpdateInput!, $v: Int) { updateDepartment(id: $id, input: $input, expectedVersion: $v) { ${DEPARTMENT_FIELDS} } }`;
const GET_DEPARTMENT = `query Department($id: ID!) { department(id: $id) { ${DEPARTMENT_FIELDS} } }`;
const SET_SETTING = `mutation SetSetting($input: SetSettingInput!) { setSetting(input: $input) { id key scope value } }`;

const INVALID_EMAILS: Array<[string, string]> = [
  ['no at sign', 'knihovna.example.cz'],
  ['no domain dot', 'knihovna@localhost'],
  ['space inside', 'kni hovna@example.cz'],
  ['two at signs', 'a@b@example.cz'],
  ['CR/LF header injection', 'knihovna@example.cz\r\nBcc: victim@example.org'],
];

describeEachDatabase('Libraries and departments', (gw) => {
  async function getLibrary(id: string): Promise<Record<string, any> | null> {
    return (await gw().ok<{ library: Record<string, any> | null }>(GET_LIBRARY, { id })).library;
  }
  async function getDepartment(id: string): Promise<Record<string, any> | null> {
    return (await gw().ok<{ department: Record<string, any> | null }>(GET_DEPARTMENT, { id })).department;
  }

  describe('libraries: create / read / update / delete', () => {
    test('R4/R7/R10: createLibrary stores code, name, short name, contact e-mail and server', async () => {
      const server = await createServer(gw());
      const library = await createLibrary<Record<string, any>>(
        gw(),
        {
          code: 'KNIH-XYZ',
          name: 'Knihovna XYZ',
          shortName: 'KNIH-XYZ',
          contactEmail: 'knihovna@xyz.cz',
          smtpServerId: server.id,
        },
        { document: CREATE_LIBRARY },
      );
      expect(library).toMatchObject({
        code: 'KNIH-XYZ',
        name: 'Knihovna XYZ',
        shortName: 'KNIH-XYZ',
        contactEmail: 'knihovna@xyz.cz',
        smtpServer: { id: server.id, name: server.name },
        departments: [],
        settings: [],
        version: 1,
        updatedBy: 'support-1',
      });
      expect(library.updatedAt).toBe(library.createdAt);
      expect(await getLibrary(library.id)).toEqual(library);
      const list = (await gw().ok<{ libraries: Array<Record<string, any>> }>(`{ libraries { ${LIBRARY_FIELDS} } }`)).libraries;
      expect(list.find((l) => l.id === library.id)).toEqual(library);
    });

    test('R4: optional fields may be left out and are null', async () => {
      const library = await createLibrary<Record<string, any>>(gw(), {}, { document: CREATE_LIBRARY });
      expect(library).toMatchObject({ shortName: null, contactEmail: null, smtpServer: null });
    });

    test('D10: updateLibrary changes the given fields, increments version and records who updated', async () => {
      const server = await createServer(gw());
      const library = await createLibrary<Record<string, any>>(gw(), { shortName: 'OLD', contactEmail: 'old@example.cz' }, { document: CREATE_LIBRARY });
      const bob = await gw().token({ sub: 'bob@support', roles: ['support'] });
      const result = await gw().gql<{ updateLibrary: Record<string, any> }>(
        UPDATE_LIBRARY,
        { id: library.id, input: { name: 'New name', shortName: 'NEW', contactEmail: 'new@example.cz', smtpServerId: server.id } },
        bob,
      );
      expect(result.errors).toBeUndefined();
      const updated = result.data!.updateLibrary;
      expect(updated).toMatchObject({
        code: library.code,
        name: 'New name',
        shortName: 'NEW',
        contactEmail: 'new@example.cz',
        smtpServer: { id: server.id },
        version: 2,
        updatedBy: 'bob@support',
        createdAt: library.createdAt,
      });
      expect(await getLibrary(library.id)).toEqual(updated);
    });

    test('D10: omitted fields stay unchanged; explicit null clears shortName, contactEmail and smtpServerId', async () => {
      const server = await createServer(gw());
      const library = await createLibrary<Record<string, any>>(
        gw(),
        { shortName: 'SHORT', contactEmail: 'x@example.cz', smtpServerId: server.id },
        { document: CREATE_LIBRARY },
      );
      const renamed = await gw().ok<{ updateLibrary: Record<string, any> }>(UPDATE_LIBRARY, { id: library.id, input: { name: 'Only name' } });
      expect(renamed.updateLibrary).toMatchObject({
        code: library.code,
        shortName: 'SHORT',
        contactEmail: 'x@example.cz',
        smtpServer: { id: server.id },
        version: 2,
      });
      const cleared = await gw().ok<{ updateLibrary: Record<string, any> }>(UPDATE_LIBRARY, {
        id: library.id,
        input: { shortName: null, contactEmail: null, smtpServerId: null },
      });
      expect(cleared.updateLibrary).toMatchObject({ name: 'Only name', shortName: null, contactEmail: null, smtpServer: null, version: 3 });
    });

    test('library(id) of an unknown or malformed id is null', async () => {
      expect(await getLibrary('987654')).toBeNull();
      expect(await getLibrary('abc')).toBeNull();
    });

    test('D10: deleteLibrary removes an unreferenced library and returns its id', async () => {
      const library = await createLibrary<Record<string, any>>(gw(), {}, { document: CREATE_LIBRARY });
      const data = await gw().ok<{ deleteLibrary: string }>(DELETE_LIBRARY, { id: library.id });
      expect(data.deleteLibrary).toBe(library.id);
      expect(await getLibrary(library.id)).toBeNull();
    });

    test('D10: update and delete of an unknown library are NOT_FOUND and write nothing', async () => {
      expectError(await expectNothingWritten(gw(), () => gw().gql(UPDATE_LIBRARY, { id: '987654', input: { name: 'x' } })), 'NOT_FOUND');
      expectError(await expectNothingWritten(gw(), () => gw().gql(DELETE_LIBRARY, { id: '987654' })), 'NOT_FOUND');
    });
  });

  describe('libraries: D10 validation names the field and writes nothing', () => {
    test.each(INVALID_EMAILS)('R7/D10: createLibrary with contactEmail (%s) is BAD_USER_INPUT on contactEmail', async (_title, email) => {
      const result = await expectNothingWritten(gw(), () => gw().gql(CREATE_LIBRARY, { input: { code: unique('BAD'), name: 'Bad', contactEmail: email } }));
      expectError(result, 'BAD_USER_INPUT', { field: 'contactEmail' });
    });

    test.each(INVALID_EMAILS)('R7/D10: updateLibrary with contactEmail (%s) is BAD_USER_INPUT on contactEmail', async (_title, email) => {
      const library = await createLibrary<Record<string, any>>(gw(), { contactEmail: 'ok@example.cz' }, { document: CREATE_LIBRARY });
      const result = await expectNothingWritten(gw(), () => gw().gql(UPDATE_LIBRARY, { id: library.id, input: { contactEmail: email } }));
      expectError(result, 'BAD_USER_INPUT', { field: 'contactEmail' });
      expect(await getLibrary(library.id)).toEqual(library);
    });

    const invalidCreates: Array<[string, Record<string, unknown>, string]> = [
      ['CR/LF in shortName', { shortName: 'KNIH\r\nBcc: x@evil.test' }, 'shortName'],
      ['LF in shortName', { shortName: 'KNIH\nXYZ' }, 'shortName'],
      ['CR/LF in name', { name: 'Knihovna\r\nX' }, 'name'],
      ['empty name', { name: '' }, 'name'],
      ['blank code', { code: '  ' }, 'code'],
      ['code with spaces', { code: 'KNIH XYZ' }, 'code'],
      ['unknown smtpServerId', { smtpServerId: '987654' }, 'smtpServerId'],
    ];
    test.each(invalidCreates)('R10/D10: createLibrary with %s is BAD_USER_INPUT on that field', async (_title, overrides, field) => {
      const result = await expectNothingWritten(gw(), () => gw().gql(CREATE_LIBRARY, { input: { code: unique('BAD'), name: 'Bad', ...overrides } }));
      expectError(result, 'BAD_USER_INPUT', { field });
    });

    const invalidUpdates: Array<[string, Record<string, unknown>, string]> = [
      ['CR/LF in shortName', { shortName: 'A\r\nB' }, 'shortName'],
      ['CR in shortName', { shortName: 'A\rB' }, 'shortName'],
      ['null name (not clearable)', { name: null }, 'name'],
      ['empty name', { name: '' }, 'name'],
      ['null code (not clearable)', { code: null }, 'code'],
      ['unknown smtpServerId', { smtpServerId: '987654' }, 'smtpServerId'],
      ['a valid field with an invalid one', { shortName: 'fine', contactEmail: 'broken' }, 'contactEmail'],
    ];
    test.each(invalidUpdates)('R10/D10: updateLibrary with %s is BAD_USER_INPUT on that field', async (_title, input, field) => {
      const library = await createLibrary<Record<string, any>>(gw(), { shortName: 'SHORT' }, { document: CREATE_LIBRARY });
      const result = await expectNothingWritten(gw(), () => gw().gql(UPDATE_LIBRARY, { id: library.id, input }));
      expectError(result, 'BAD_USER_INPUT', { field });
      expect(await getLibrary(library.id)).toEqual(library);
    });

    test('D10: a duplicate library code is CONFLICT on create', async () => {
      const library = await createLibrary<Record<string, any>>(gw(), {}, { document: CREATE_LIBRARY });
      const result = await expectNothingWritten(gw(), () => gw().gql(CREATE_LIBRARY, { input: { code: library.code, name: 'Another' } }));
      expectError(result, 'CONFLICT');
    });

    test('D10: a duplicate library code is CONFLICT on update', async () => {
      const first = await createLibrary<Record<string, any>>(gw(), {}, { document: CREATE_LIBRARY });
      const second = await createLibrary<Record<string, any>>(gw(), {}, { document: CREATE_LIBRARY });
      const result = await expectNothingWritten(gw(), () => gw().gql(UPDATE_LIBRARY, { id: second.id, input: { code: first.code } }));
      expectError(result, 'CONFLICT');
      expect((await getLibrary(second.id))!.code).toBe(second.code);
      // keeping one's own code is not a conflict
      const same = await gw().ok<{ updateLibrary: Record<string, any> }>(UPDATE_LIBRARY, { id: second.id, input: { code: second.code, name: 'Same code' } });
      expect(same.updateLibrary).toMatchObject({ code: second.code, name: 'Same code' });
    });

    test('D10: a stale expectedVersion on updateLibrary is CONFLICT and writes nothing', async () => {
      const library = await createLibrary<Record<string, any>>(gw(), {}, { document: CREATE_LIBRARY });
      await gw().ok(UPDATE_LIBRARY, { id: library.id, input: { shortName: 'V2' }, v: 1 });
      const result = await expectNothingWritten(gw(), () => gw().gql(UPDATE_LIBRARY, { id: library.id, input: { shortName: 'LOST' }, v: 1 }));
      expectError(result, 'CONFLICT');
      expect((await getLibrary(library.id))!).toMatchObject({ shortName: 'V2', version: 2 });
      const v3 = await gw().ok<{ updateLibrary: Record<string, any> }>(UPDATE_LIBRARY, { id: library.id, input: { shortName: 'V3' }, v: 2 });
      expect(v3.updateLibrary).toMatchObject({ shortName: 'V3', version: 3 });
    });
  });

  describe('departments: create / read / update / delete', () => {
    test('R5/R8: createDepartment stores name, e-mail and server, and links both ways with its library', async () => {
      const server = await createServer(gw());
      const library = await createLibrary<Record<string, any>>(gw(), {}, { document: CREATE_LIBRARY });
      const department = await createDepartment<Record<string, any>>(
        gw(),
        library.id,
        { name: 'Pobočka Sever', email: 'sever@xyz.cz', smtpServerId: server.id },
        { document: CREATE_DEPARTMENT },
      );
      expect(department).toMatchObject({
        name: 'Pobočka Sever',
        email: 'sever@xyz.cz',
        library: { id: library.id, code: library.code },
        smtpServer: { id: server.id, name: server.name },
        settings: [],
        version: 1,
        updatedBy: 'support-1',
      });
      const second = await createDepartment<Record<string, any>>(gw(), library.id, {}, { document: CREATE_DEPARTMENT });
      expect(await getDepartment(department.id)).toEqual(department);
      expect((await getLibrary(library.id))!.departments).toEqual([
        { id: department.id, name: department.name },
        { id: second.id, name: second.name },
      ]);
    });

    test('R5/R8: optional department fields may be left out and are null', async () => {
      const library = await createLibrary<Record<string, any>>(gw(), {}, { document: CREATE_LIBRARY });
      const department = await createDepartment<Record<string, any>>(gw(), library.id, {}, { document: CREATE_DEPARTMENT });
      expect(department).toMatchObject({ email: null, smtpServer: null });
    });

    test('D10: updateDepartment changes given fields, keeps omitted ones, clears explicit nulls', async () => {
      const server = await createServer(gw());
      const library = await createLibrary<Record<string, any>>(gw(), {}, { document: CREATE_LIBRARY });
      const department = await createDepartment<Record<string, any>>(
        gw(),
        library.id,
        { email: 'dept@example.cz', smtpServerId: server.id },
        { document: CREATE_DEPARTMENT },
      );
      const carol = await gw().token({ sub: 'carol', roles: ['support'] });
      const renamed = await gw().gql<{ updateDepartment: Record<string, any> }>(UPDATE_DEPARTMENT, { id: department.id, input: { name: 'Renamed' } }, carol);
      expect(renamed.errors).toBeUndefined();
      expect(renamed.data!.updateDepartment).toMatchObject({
        name: 'Renamed',
        email: 'dept@example.cz',
        smtpServer: { id: server.id },
        version: 2,
        updatedBy: 'carol',
        createdAt: department.createdAt,
      });
      const cleared = await gw().ok<{ updateDepartment: Record<string, any> }>(UPDATE_DEPARTMENT, {
        id: department.id,
        input: { email: null, smtpServerId: null },
      });
      expect(cleared.updateDepartment).toMatchObject({ name: 'Renamed', email: null, smtpServer: null, version: 3, updatedBy: 'support-1' });
      expect(await getDepartment(department.id)).toEqual(cleared.updateDepartment);
    });

    test('department(id) of an unknown or malformed id is null', async () => {
      expect(await getDepartment('987654')).toBeNull();
      expect(await getDepartment('x1')).toBeNull();
    });

    test('D10: deleteDepartment removes an unreferenced department; its library can then be deleted', async () => {
      const library = await createLibrary<Record<string, any>>(gw(), {}, { document: CREATE_LIBRARY });
      const department = await createDepartment<Record<string, any>>(gw(), library.id, {}, { document: CREATE_DEPARTMENT });
      expect((await gw().ok<{ deleteDepartment: string }>(DELETE_DEPARTMENT, { id: department.id })).deleteDepartment).toBe(department.id);
      expect(await getDepartment(department.id)).toBeNull();
      expect((await getLibrary(library.id))!.departments).toEqual([]);
      expect((await gw().ok<{ deleteLibrary: string }>(DELETE_LIBRARY, { id: library.id })).deleteLibrary).toBe(library.id);
    });

    test('D10: update and delete of an unknown department are NOT_FOUND and write nothing', async () => {
      expectError(await expectNothingWritten(gw(), () => gw().gql(UPDATE_DEPARTMENT, { id: '987654', input: { name: 'x' } })), 'NOT_FOUND');
      expectError(await expectNothingWritten(gw(), () => gw().gql(DELETE_DEPARTMENT, { id: '987654' })), 'NOT_FOUND');
    });
  });

  describe('departments: D10 validation names the field and writes nothing', () => {
    let libraryId: string;
    beforeAll(async () => {
      libraryId = (await createLibrary<Record<string, any>>(gw(), {}, { document: CREATE_LIBRARY })).id;
    });

    test.each(INVALID_EMAILS)('R8/D10: createDepartment with email (%s) is BAD_USER_INPUT on email', async (_title, email) => {
      const result = await expectNothingWritten(gw(), () => gw().gql(CREATE_DEPARTMENT, { input: { libraryId, name: 'Bad', email } }));
      expectError(result, 'BAD_USER_INPUT', { field: 'email' });
    });

    test.each(INVALID_EMAILS)('R8/D10: updateDepartment with email (%s) is BAD_USER_INPUT on email', async (_title, email) => {
      const department = await createDepartment<Record<string, any>>(gw(), libraryId, { email: 'ok@example.cz' }, { document: CREATE_DEPARTMENT });
      const result = await expectNothingWritten(gw(), () => gw().gql(UPDATE_DEPARTMENT, { id: department.id, input: { email } }));
      expectError(result, 'BAD_USER_INPUT', { field: 'email' });
      expect(await getDepartment(department.id)).toEqual(department);
    });

    const invalidCreates: Array<[string, Record<string, unknown>, string]> = [
      ['unknown libraryId', { libraryId: '987654' }, 'libraryId'],
      ['malformed libraryId', { libraryId: 'abc' }, 'libraryId'],
      ['empty name', { name: '' }, 'name'],
      ['CR/LF in name', { name: 'Dept\r\nX' }, 'name'],
      ['unknown smtpServerId', { smtpServerId: '987654' }, 'smtpServerId'],
    ];
    test.each(invalidCreates)('D10: createDepartment with %s is BAD_USER_INPUT on that field', async (_title, overrides, field) => {
      const result = await expectNothingWritten(gw(), () => gw().gql(CREATE_DEPARTMENT, { input: { libraryId, name: 'Dept', ...overrides } }));
      expectError(result, 'BAD_USER_INPUT', { field });
    });

    const invalidUpdates: Array<[string, Record<string, unknown>, string]> = [
      ['null name (not clearable)', { name: null }, 'name'],
      ['blank name', { name: '  ' }, 'name'],
      ['LF in name', { name: 'a\nb' }, 'name'],
      ['unknown smtpServerId', { smtpServerId: '987654' }, 'smtpServerId'],
    ];
    test.each(invalidUpdates)('D10: updateDepartment with %s is BAD_USER_INPUT on that field', async (_title, input, field) => {
      const department = await createDepartment<Record<string, any>>(gw(), libraryId, {}, { document: CREATE_DEPARTMENT });
      const result = await expectNothingWritten(gw(), () => gw().gql(UPDATE_DEPARTMENT, { id: department.id, input }));
      expectError(result, 'BAD_USER_INPUT', { field });
      expect(await getDepartment(department.id)).toEqual(department);
    });

    test('D10: a stale expectedVersion on updateDepartment is CONFLICT and writes nothing', async () => {
      const department = await createDepartment<Record<string, any>>(gw(), libraryId, {}, { document: CREATE_DEPARTMENT });
      await gw().ok(UPDATE_DEPARTMENT, { id: department.id, input: { email: 'v2@example.cz' }, v: 1 });
      const result = await expectNothingWritten(gw(), () => gw().gql(UPDATE_DEPARTMENT, { id: department.id, input: { email: 'lost@example.cz' }, v: 1 }));
      expectError(result, 'CONFLICT');
      expect(await getDepartment(department.id)).toMatchObject({ email: 'v2@example.cz', version: 2 });
    });
  });

  describe('D10: IN_USE on delete', () => {
    test('D10: deleting a library with departments is IN_USE and lists the departments', async () => {
      const library = await createLibrary<Record<string, any>>(gw(), {}, { document: CREATE_LIBRARY });
      const first = await createDepartment<Record<string, any>>(gw(), library.id, {}, { document: CREATE_DEPARTMENT });
      const second = await createDepartment<Record<string, any>>(gw(), library.id, {}, { document: CREATE_DEPARTMENT });
      const result = await expectNothingWritten(gw(), () => gw().gql(DELETE_LIBRARY, { id: library.id }));
      const extensions = expectError(result, 'IN_USE');
      expect(extensions.usedBy).toEqual([
        { type: 'Department', id: first.id, name: first.name },
        { type: 'Department', id: second.id, name: second.name },
      ]);
      expect(await getLibrary(library.id)).not.toBeNull();
    });

    test('D10: deleting a library with a library-scope setting is IN_USE and lists the setting value', async () => {
      const library = await createLibrary<Record<string, any>>(gw(), {}, { document: CREATE_LIBRARY });
      const value = await gw().ok<{ setSetting: Record<string, any> }>(SET_SETTING, {
        input: { key: 'ILS_EMAIL', scope: 'LIBRARY', libraryId: library.id, value: 'mvs@example.cz' },
      });
      const extensions = expectError(await expectNothingWritten(gw(), () => gw().gql(DELETE_LIBRARY, { id: library.id })), 'IN_USE');
      expect(extensions.usedBy).toEqual([{ type: 'SettingValue', id: value.setSetting.id, name: expect.stringContaining('ILS_EMAIL') }]);
      expect((await getLibrary(library.id))!.settings).toEqual([{ id: value.setSetting.id, key: 'ILS_EMAIL', value: 'mvs@example.cz' }]);
    });

    test('D10: deleting a department with a department-scope setting is IN_USE and lists the setting value', async () => {
      await gw().ok(`mutation CreateSettingDefinition($input: SettingDefinitionInput!) { createSettingDefinition(input: $input) { key } }`, {
        input: { key: 'DEPARTMENT_SIGNATURE', valueType: 'STRING', allowedScopes: ['DEPARTMENT'] },
      });
      const library = await createLibrary<Record<string, any>>(gw(), {}, { document: CREATE_LIBRARY });
      const department = await createDepartment<Record<string, any>>(gw(), library.id, {}, { document: CREATE_DEPARTMENT });
      const value = await gw().ok<{ setSetting: Record<string, any> }>(SET_SETTING, {
        input: { key: 'DEPARTMENT_SIGNATURE', scope: 'DEPARTMENT', departmentId: department.id, value: 'Pobočka Sever' },
      });
      expect((await getDepartment(department.id))!.settings).toEqual([{ id: value.setSetting.id, key: 'DEPARTMENT_SIGNATURE', value: 'Pobočka Sever' }]);

      const extensions = expectError(await expectNothingWritten(gw(), () => gw().gql(DELETE_DEPARTMENT, { id: department.id })), 'IN_USE');
      expect(extensions.usedBy).toEqual([{ type: 'SettingValue', id: value.setSetting.id, name: expect.stringContaining('DEPARTMENT_SIGNATURE') }]);
      expect(await getDepartment(department.id)).not.toBeNull();

      await gw().ok(`mutation ClearSetting($input: SettingTargetInput!) { clearSetting(input: $input) }`, {
        input: { key: 'DEPARTMENT_SIGNATURE', scope: 'DEPARTMENT', departmentId: department.id },
      });
      expect((await gw().ok<{ deleteDepartment: string }>(DELETE_DEPARTMENT, { id: department.id })).deleteDepartment).toBe(department.id);
    });
  });
});
