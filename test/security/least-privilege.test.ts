import { In } from 'typeorm';
import { AuditEntry } from '../../src/audit/audit-entry.entity';
import { SmtpServer } from '../../src/smtp-server/smtp-server.entity';
import { describeEachDatabase, GraphQLResponse } from '../support/gateway';
import { createDepartment, createLibrary, createServer, unique } from '../support/fixtures';
import { closedPort, errorCodes } from './helpers';

/**
 * Least privilege per capability (SPEC.md, "Roles (R2)"), reproduced through HTTP with real
 * tokens on both databases: roles never add up across capabilities, an id outside a scoped
 * identity's libraries is FORBIDDEN whether or not it exists, a library-admin reads only the
 * non-sensitive fields of its own chain's servers (D12), and a field that fails stays a field
 * error of that one server.
 */

const UNKNOWN_ID = '999999';
const UPDATE_LIBRARY = `mutation UpdateLibrary($id: ID!, $input: LibraryUpdateInput!) { updateLibrary(id: $id, input: $input) { id shortName } }`;
const UPDATE_DEPARTMENT = `mutation UpdateDepartment($id: ID!, $input: DepartmentUpdateInput!) { updateDepartment(id: $id, input: $input) { id email } }`;
const MAIL_CONFIG = `query EffectiveMailConfig($l: ID!, $d: ID) { effectiveMailConfig(libraryId: $l, departmentId: $d) { purpose servers { id } } }`;
const HIDDEN = ['username', 'updatedBy', 'tlsCaSubject', 'transport'];
const SERVER_VIEW = `id name host port allowTls allowSsl requiresAuth hasPassword username updatedBy tlsCaSubject transport { host }
  usedByLibraries { id } usedByDepartments { id } previousServers { id }`;

interface Fixture {
  first: string;
  second: string;
  outsider: string;
  ownLibrary: string;
  ownDepartment: string;
  foreignLibrary: string;
  foreignDepartment: string;
}

function codesOnly(result: GraphQLResponse): Set<string> {
  return new Set(errorCodes(result));
}

describeEachDatabase('Least privilege per capability (R2, D12)', (gw) => {
  const f = {} as Fixture;
  let admin: string;
  let adminService: string;

  beforeAll(async () => {
    const port = await closedPort();
    const second = await createServer(gw(), { host: '127.0.0.1', port, connectionTimeoutMs: 1_000 });
    const first = await createServer(gw(), {
      host: '127.0.0.1',
      port,
      username: 'chain-user',
      password: 'chain-password',
      requiresAuth: true,
      allowTls: true,
      connectionTimeoutMs: 1_000,
      nextServerId: second.id,
    });
    // a server outside every chain of the own library that points into it
    const outsider = await createServer(gw(), { nextServerId: first.id });
    Object.assign(f, { first: first.id, second: second.id, outsider: outsider.id });
    f.ownLibrary = (await createLibrary(gw(), { contactEmail: 'own@example.cz', smtpServerId: first.id })).id;
    f.ownDepartment = (await createDepartment(gw(), f.ownLibrary, { smtpServerId: first.id })).id;
    f.foreignLibrary = (await createLibrary(gw(), { contactEmail: 'foreign@example.cz', smtpServerId: first.id })).id;
    f.foreignDepartment = (await createDepartment(gw(), f.foreignLibrary, { smtpServerId: first.id })).id;
    admin = await gw().token({ sub: 'least-admin', roles: ['library-admin'], libraries: [Number(f.ownLibrary)] });
    adminService = await gw().token({ sub: 'least-admin-service', roles: ['library-admin', 'service'], libraries: [Number(f.ownLibrary)] });
  });

  describe('R2: a library-admin that is also a service writes, sends and audits only its own libraries', () => {
    test('R2: updateLibrary of another library is FORBIDDEN and changes nothing', async () => {
      const result = await gw().gql(UPDATE_LIBRARY, { id: f.foreignLibrary, input: { shortName: 'TAKEN' } }, adminService);
      expect(codesOnly(result)).toEqual(new Set(['FORBIDDEN']));
      const after = await gw().ok<{ library: { shortName: string | null } }>(`query Library($id: ID!) { library(id: $id) { shortName } }`, {
        id: f.foreignLibrary,
      });
      expect(after.library.shortName).toBeNull();
    });

    test("R2: updateDepartment of another library's department is FORBIDDEN", async () => {
      const result = await gw().gql(UPDATE_DEPARTMENT, { id: f.foreignDepartment, input: { email: 'taken@example.cz' } }, adminService);
      expect(codesOnly(result)).toEqual(new Set(['FORBIDDEN']));
    });

    test('R2: sendTestMail for another library is FORBIDDEN before anything is tried or audited', async () => {
      const count = async () => gw().dataSource.getRepository(AuditEntry).count();
      const before = await count();
      const result = await gw().gql(
        `mutation SendTestMail($l: ID!) { sendTestMail(input: { libraryId: $l, to: "reader@example.cz" }) { ok attempts { errorCode } } }`,
        { l: f.foreignLibrary },
        adminService,
      );
      expect(codesOnly(result)).toEqual(new Set(['FORBIDDEN']));
      expect(result.data?.sendTestMail ?? null).toBeNull();
      expect(await count()).toBe(before);
    });

    test('R2: auditLog shows only entries of its own libraries', async () => {
      const data = await gw().ok<{ auditLog: Array<{ id: string }> }>(`{ auditLog(limit: 500) { id } }`, {}, adminService);
      const rows = await gw()
        .dataSource.getRepository(AuditEntry)
        .findBy({ id: In(data.auditLog.map((e) => Number(e.id))) });
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((r) => r.libraryId))).toEqual(new Set([Number(f.ownLibrary)]));
      const foreign = await gw().ok<{ auditLog: unknown[] }>(
        `query AuditLog($id: ID) { auditLog(entityType: "Library", entityId: $id) { id } }`,
        { id: f.foreignLibrary },
        adminService,
      );
      expect(foreign.auditLog).toEqual([]);
    });

    test('R2: it still reads every library (the "all" of service is for reads) and edits its own', async () => {
      await gw().ok(`query Library($id: ID!) { library(id: $id) { id } }`, { id: f.foreignLibrary }, adminService);
      const own = await gw().ok<{ updateLibrary: { shortName: string } }>(UPDATE_LIBRARY, { id: f.ownLibrary, input: { shortName: 'OWN' } }, adminService);
      expect(own.updateLibrary.shortName).toBe('OWN');
    });
  });

  describe('R2: no existence oracle for a library-admin', () => {
    test('R2: library(foreign) and library(unknown) are the same FORBIDDEN; for support an unknown one is null', async () => {
      const query = `query Library($id: ID!) { library(id: $id) { id } }`;
      const foreign = await gw().gql(query, { id: f.foreignLibrary }, admin);
      const unknown = await gw().gql(query, { id: UNKNOWN_ID }, admin);
      expect(codesOnly(foreign)).toEqual(new Set(['FORBIDDEN']));
      expect(codesOnly(unknown)).toEqual(new Set(['FORBIDDEN']));
      expect(unknown.errors![0].message).toBe(foreign.errors![0].message);
      expect((await gw().ok<{ library: unknown }>(query, { id: UNKNOWN_ID })).library).toBeNull();
      expect((await gw().ok<{ library: unknown }>(query, { id: UNKNOWN_ID }, gw().tokens.service)).library).toBeNull();
    });

    test('R2: department(foreign) and department(unknown) are the same FORBIDDEN; for support an unknown one is null', async () => {
      const query = `query Department($id: ID!) { department(id: $id) { id } }`;
      const foreign = await gw().gql(query, { id: f.foreignDepartment }, admin);
      const unknown = await gw().gql(query, { id: UNKNOWN_ID }, admin);
      expect(codesOnly(foreign)).toEqual(new Set(['FORBIDDEN']));
      expect(codesOnly(unknown)).toEqual(new Set(['FORBIDDEN']));
      expect(unknown.errors![0].message).toBe(foreign.errors![0].message);
      expect((await gw().ok<{ department: unknown }>(query, { id: UNKNOWN_ID })).department).toBeNull();
    });

    test('R2: updates of an unknown library or department are FORBIDDEN for a library-admin, NOT_FOUND for support', async () => {
      expect(codesOnly(await gw().gql(UPDATE_LIBRARY, { id: UNKNOWN_ID, input: { shortName: 'X' } }, admin))).toEqual(new Set(['FORBIDDEN']));
      expect(codesOnly(await gw().gql(UPDATE_DEPARTMENT, { id: UNKNOWN_ID, input: { email: 'x@example.cz' } }, admin))).toEqual(new Set(['FORBIDDEN']));
      expect(codesOnly(await gw().gql(UPDATE_LIBRARY, { id: UNKNOWN_ID, input: { shortName: 'X' } }))).toEqual(new Set(['NOT_FOUND']));
      expect(codesOnly(await gw().gql(UPDATE_DEPARTMENT, { id: UNKNOWN_ID, input: { email: 'x@example.cz' } }))).toEqual(new Set(['NOT_FOUND']));
    });

    test('R2: effectiveMailConfig checks access before describing how a department and a library relate', async () => {
      const mismatch = await gw().gql(MAIL_CONFIG, { l: f.ownLibrary, d: f.foreignDepartment }, admin);
      expect(codesOnly(mismatch)).toEqual(new Set(['FORBIDDEN']));
      expect(JSON.stringify(mismatch.errors)).not.toMatch(/belongs/i);
      for (const variables of [{ l: f.ownLibrary, d: UNKNOWN_ID }, { l: UNKNOWN_ID }, { l: f.foreignLibrary }]) {
        expect(codesOnly(await gw().gql(MAIL_CONFIG, variables, admin))).toEqual(new Set(['FORBIDDEN']));
      }
      const setting = await gw().gql(
        `query EffectiveSetting($d: ID) { effectiveSetting(key: "ILS_EMAIL", departmentId: $d) { key } }`,
        { d: UNKNOWN_ID },
        admin,
      );
      expect(codesOnly(setting)).toEqual(new Set(['FORBIDDEN']));
    });

    test('R2: who may see both gets the relation described; support gets NOT_FOUND for unknown ids', async () => {
      const both = await gw().token({ sub: 'least-both', roles: ['library-admin'], libraries: [Number(f.ownLibrary), Number(f.foreignLibrary)] });
      const mismatch = await gw().gql(MAIL_CONFIG, { l: f.ownLibrary, d: f.foreignDepartment }, both);
      expect(mismatch.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'departmentId' });
      expect(codesOnly(await gw().gql(MAIL_CONFIG, { l: f.ownLibrary, d: f.foreignDepartment }))).toEqual(new Set(['BAD_USER_INPUT']));
      expect(codesOnly(await gw().gql(MAIL_CONFIG, { l: UNKNOWN_ID }))).toEqual(new Set(['NOT_FOUND']));
    });
  });

  describe('R2/D12: what a library-admin sees of the servers of its own chains', () => {
    type View = Record<string, any>;

    /** Visible fields have their values; hidden ones are null with a FORBIDDEN error at exactly that field. */
    function expectRestricted(result: GraphQLResponse, servers: Array<[View, Array<string | number>]>): void {
      expect(codesOnly(result)).toEqual(new Set(['FORBIDDEN']));
      const errorPaths = result.errors!.map((e) => (e.path ?? []).join('.')).sort();
      const expectedPaths = servers.flatMap(([, path]) => HIDDEN.map((field) => [...path, field].join('.'))).sort();
      expect(errorPaths).toEqual(expectedPaths);
      for (const [server] of servers) {
        for (const field of HIDDEN) expect(server[field]).toBeNull();
        expect(server).toMatchObject({ host: '127.0.0.1', port: expect.any(Number), allowSsl: false });
      }
    }

    test('R2: effectiveMailConfig.servers and nextServer show id, name, host, port and flags, never username, updatedBy, trusted CA or transport', async () => {
      const result = await gw().gql<{ effectiveMailConfig: { servers: View[] } }>(
        `query EffectiveMailConfig($l: ID!) { effectiveMailConfig(libraryId: $l) { servers { ${SERVER_VIEW} nextServer { ${SERVER_VIEW} } } } }`,
        { l: f.ownLibrary },
        admin,
      );
      const servers = result.data!.effectiveMailConfig.servers;
      expect(servers.map((s) => s.id)).toEqual([f.first, f.second]);
      expect(servers[0]).toMatchObject({ requiresAuth: true, allowTls: true, hasPassword: true });
      expectRestricted(result, [
        [servers[0], ['effectiveMailConfig', 'servers', 0]],
        [servers[0].nextServer, ['effectiveMailConfig', 'servers', 0, 'nextServer']],
        [servers[1], ['effectiveMailConfig', 'servers', 1]],
      ]);
      // links: own library and department only; previous servers only from the own chain
      expect(servers[0].usedByLibraries).toEqual([{ id: f.ownLibrary }]);
      expect(servers[0].usedByDepartments).toEqual([{ id: f.ownDepartment }]);
      expect(servers[0].previousServers).toEqual([]);
      expect(servers[1].previousServers).toEqual([{ id: f.first }]);
      expect(JSON.stringify(result)).not.toContain('chain-user');
    });

    test('R2: Library.smtpServer and Department.smtpServer are restricted the same way', async () => {
      const result = await gw().gql<{ library: { smtpServer: View }; department: { smtpServer: View } }>(
        `query Library($l: ID!, $d: ID!) { library(id: $l) { smtpServer { ${SERVER_VIEW} } } department(id: $d) { smtpServer { ${SERVER_VIEW} } } }`,
        { l: f.ownLibrary, d: f.ownDepartment },
        admin,
      );
      expectRestricted(result, [
        [result.data!.library.smtpServer, ['library', 'smtpServer']],
        [result.data!.department.smtpServer, ['department', 'smtpServer']],
      ]);
      expect(result.data!.library.smtpServer.id).toBe(f.first);
    });

    test('R2: support sees every link and field of the same server', async () => {
      const data = await gw().ok<{ smtpServer: View }>(
        `query SmtpServer($id: ID!) { smtpServer(id: $id) { username updatedBy usedByLibraries { id } previousServers { id } } }`,
        { id: f.first },
      );
      expect(data.smtpServer.username).toBe('chain-user');
      expect(data.smtpServer.updatedBy).toBe('support-1');
      expect(data.smtpServer.usedByLibraries.map((l: { id: string }) => l.id).sort()).toEqual([f.ownLibrary, f.foreignLibrary].sort());
      expect(data.smtpServer.previousServers).toEqual([{ id: f.outsider }]);
    });
  });

  describe('R2/D12: one failure stays on its field', () => {
    test("D12: a password that does not decrypt nulls that server's transport only", async () => {
      const broken = await createServer(gw(), {
        name: unique('Broken'),
        host: '127.0.0.1',
        port: 2525,
        username: 'broken',
        password: 'broken-password',
        requiresAuth: true,
      });
      // a ciphertext copied from another row does not decrypt (it is bound to its own row)
      const repository = gw().dataSource.getRepository(SmtpServer);
      const donor = await repository.findOneByOrFail({ id: Number(f.first) });
      await repository.update({ id: Number(broken.id) }, { password: donor.password });
      const result = await gw().gql<{ smtpServers: Array<{ id: string; transport: { host: string } | null }> }>(
        `{ smtpServers { id transport { host } } }`,
        {},
        gw().tokens.credentials,
      );
      expect(result.data?.smtpServers).toBeTruthy();
      const index = result.data!.smtpServers.findIndex((s) => s.id === broken.id);
      expect(result.data!.smtpServers[index].transport).toBeNull();
      expect(result.errors!.map((e) => e.path)).toEqual([['smtpServers', index, 'transport']]);
      expect(result.data!.smtpServers.filter((s) => s.id !== broken.id).every((s) => s.transport !== null)).toBe(true);
      expect(JSON.stringify(result)).not.toContain('chain-password');
      await repository.update({ id: Number(broken.id) }, { password: null });
    });

    test('D12: a FORBIDDEN transport leaves the rest of effectiveMailConfig in place', async () => {
      const result = await gw().gql<{ effectiveMailConfig: { purpose: string; servers: Array<{ id: string; transport: unknown }> } }>(
        `query EffectiveMailConfig($l: ID!) { effectiveMailConfig(libraryId: $l) { purpose servers { id transport { host } } } }`,
        { l: f.ownLibrary },
        gw().tokens.service,
      );
      expect(result.data?.effectiveMailConfig.purpose).toBe('GENERAL');
      expect(result.data!.effectiveMailConfig.servers).toEqual([
        { id: f.first, transport: null },
        { id: f.second, transport: null },
      ]);
      expect(codesOnly(result)).toEqual(new Set(['FORBIDDEN']));
      expect(result.errors!.map((e) => e.path)).toEqual([
        ['effectiveMailConfig', 'servers', 0, 'transport'],
        ['effectiveMailConfig', 'servers', 1, 'transport'],
      ]);
    });
  });
});
