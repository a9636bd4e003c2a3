import { WriteRunner } from '../../src/database/transaction';
import { Library } from '../../src/library/library.entity';
import { SmtpServer } from '../../src/smtp-server/smtp-server.entity';
import { readRevision } from '../../src/snapshot/snapshot-store';
import { expectNothingWritten } from '../support/db-state';
import { DELETE_LIBRARY, DELETE_SMTP_SERVER, REVERT_CHANGE } from '../support/documents';
import { expectError } from '../support/expect-error';
import { createLibrary, createServer, setSetting, unique, updateServer } from '../support/fixtures';
import { describeEachDatabase, TestGateway } from '../support/gateway';

/**
 * revertChange: one revision's before-images written back as a new revision, with the checks of
 * any write (D10), all or nothing, support only (R2), never a password (D12).
 */

interface Entry {
  id: string;
  action: string;
  entityType: string;
  entityId: string;
  revision: number;
  before: Record<string, any> | null;
  after: Record<string, any> | null;
}
interface RevertResult {
  entries: Entry[];
  notices: string[];
}

const UPDATE_LIBRARY = `mutation UpdateLibrary($id: ID!, $input: LibraryUpdateInput!) { updateLibrary(id: $id, input: $input) { id version } }`;
const GET_LIBRARY = `query Library($id: ID!) { library(id: $id) { id code name version smtpServer { id } } }`;
const GET_SERVER = `query SmtpServer($id: ID!) { smtpServer(id: $id) { id name host hasPassword nextServer { id } version } }`;
const SERVER_PASSWORD = `query SmtpServer($id: ID!) { smtpServer(id: $id) { transport { auth { pass } } } }`;
const ENTRIES = `query AuditLog($type: String, $id: ID) { auditLog(entityType: $type, entityId: $id, limit: 1) { revision before after } }`;

/** The revision of the newest change of a record. */
async function lastRevision(gw: TestGateway, type: string, id: string): Promise<number> {
  const data = await gw.ok<{ auditLog: Array<{ revision: number }> }>(ENTRIES, { type, id });
  return data.auditLog[0].revision;
}

const revert = (gw: TestGateway, revision: number, token?: string) => gw.gql<{ revertChange: RevertResult }>(REVERT_CHANGE, { revision }, token);
const revertOk = async (gw: TestGateway, revision: number) => (await gw.ok<{ revertChange: RevertResult }>(REVERT_CHANGE, { revision })).revertChange;
const library = async (gw: TestGateway, id: string) => (await gw.ok<{ library: any }>(GET_LIBRARY, { id })).library;
const server = async (gw: TestGateway, id: string) => (await gw.ok<{ smtpServer: any }>(GET_SERVER, { id })).smtpServer;

describeEachDatabase('revertChange', (gw) => {
  test("D10: reverting an update of a library's server puts it back as a new revision with the images swapped; the revert is reverted the same way", async () => {
    const [first, second] = [await createServer(gw()), await createServer(gw())];
    const created = await createLibrary(gw(), { smtpServerId: first.id });
    await gw().ok(UPDATE_LIBRARY, { id: created.id, input: { smtpServerId: second.id } });
    const revision = await lastRevision(gw(), 'Library', created.id);

    const undone = await revertOk(gw(), revision);
    expect(await library(gw(), created.id)).toMatchObject({ smtpServer: { id: first.id }, version: 3 });
    expect(undone.notices).toEqual([]);
    expect(undone.entries).toHaveLength(1);
    const [entry] = undone.entries;
    expect(entry).toMatchObject({ action: 'revertChange', entityType: 'Library', entityId: created.id });
    expect(entry.revision).toBe(await readRevision(gw().dataSource.manager));
    expect(entry.revision).toBeGreaterThan(revision);
    expect(entry.before).toMatchObject({ smtpServerId: Number(second.id), version: 2 });
    expect(entry.after).toMatchObject({ smtpServerId: Number(first.id), version: 3 });

    const redone = await revertOk(gw(), entry.revision);
    expect(await library(gw(), created.id)).toMatchObject({ smtpServer: { id: second.id }, version: 4 });
    expect(redone.entries[0].revision).toBe(entry.revision + 1);
    expect(redone.entries[0].before).toMatchObject({ smtpServerId: Number(first.id) });
    expect(redone.entries[0].after).toMatchObject({ smtpServerId: Number(second.id) });
  });

  test('reverting a create deletes the row; reverting a delete inserts it again with its id at the next version', async () => {
    const relay = await createServer(gw());
    const undone = await revertOk(gw(), await lastRevision(gw(), 'SmtpServer', relay.id));
    expect(undone.entries[0]).toMatchObject({ entityType: 'SmtpServer', entityId: relay.id, after: null });
    expect(await server(gw(), relay.id)).toBeNull();

    const created = await createLibrary(gw(), { shortName: 'Gone' });
    await gw().ok(DELETE_LIBRARY, { id: created.id });
    const deleted = await lastRevision(gw(), 'Library', created.id);
    const restored = await revertOk(gw(), deleted);
    expect(restored.entries[0]).toMatchObject({ entityType: 'Library', entityId: created.id, before: null });
    expect(await library(gw(), created.id)).toMatchObject({ id: created.id, code: created.code, version: 2 });

    // the delete cannot be undone twice: the row exists again
    const again = await expectNothingWritten(gw(), () => revert(gw(), deleted));
    expect(expectError(again, 'CONFLICT').entity).toEqual({ type: 'Library', id: created.id, name: created.name });
    expect(again.errors![0].message).toContain('exists again since');
  });

  test('D10: a row changed since the revision is CONFLICT naming it, and nothing is written', async () => {
    const created = await createLibrary(gw());
    await gw().ok(UPDATE_LIBRARY, { id: created.id, input: { name: 'First rename' } });
    const revision = await lastRevision(gw(), 'Library', created.id);
    await gw().ok(UPDATE_LIBRARY, { id: created.id, input: { name: 'Second rename' } });

    const result = await expectNothingWritten(gw(), () => revert(gw(), revision));
    const extensions = expectError(result, 'CONFLICT', { noData: true });
    expect(extensions.entity).toEqual({ type: 'Library', id: created.id, name: 'Second rename' });
    expect(result.errors![0].message).toContain(`Library ${created.id} ("Second rename") has changed since revision ${revision}`);
  });

  test('D10: a revision of several rows is undone newest first, and one row changed since refuses all of them', async () => {
    const undoable = await createdTogether(gw());
    const undone = await revertOk(gw(), undoable.revision);
    // the library goes first, so the server it used is free to go
    expect(undone.entries.map((e) => [e.entityType, e.entityId])).toEqual([
      ['Library', undoable.libraryId],
      ['SmtpServer', undoable.serverId],
    ]);
    expect(new Set(undone.entries.map((e) => e.revision)).size).toBe(1);
    expect(await library(gw(), undoable.libraryId)).toBeNull();
    expect(await server(gw(), undoable.serverId)).toBeNull();

    const stuck = await createdTogether(gw());
    await gw().ok(UPDATE_LIBRARY, { id: stuck.libraryId, input: { name: 'Renamed since' } });
    const refused = await expectNothingWritten(gw(), () => revert(gw(), stuck.revision));
    expect(expectError(refused, 'CONFLICT').entity).toEqual({ type: 'Library', id: stuck.libraryId, name: 'Renamed since' });
    expect(await server(gw(), stuck.serverId)).not.toBeNull();
  });

  test('D10: undoing the create of a server a library uses since is IN_USE listing the library, and nothing is written', async () => {
    const relay = await createServer(gw());
    const revision = await lastRevision(gw(), 'SmtpServer', relay.id);
    const user = await createLibrary(gw(), { smtpServerId: relay.id });
    const result = await expectNothingWritten(gw(), () => revert(gw(), revision));
    expect(expectError(result, 'IN_USE').usedBy).toEqual([{ type: 'Library', id: user.id, name: user.name }]);
  });

  test('D10: an old state that is no longer valid is BAD_USER_INPUT naming the field: a server deleted since, a closed loop, a code taken', async () => {
    const [first, second] = [await createServer(gw()), await createServer(gw())];
    const user = await createLibrary(gw(), { smtpServerId: first.id });
    await gw().ok(UPDATE_LIBRARY, { id: user.id, input: { smtpServerId: second.id } });
    const moved = await lastRevision(gw(), 'Library', user.id);
    await gw().ok(DELETE_SMTP_SERVER, { id: first.id });
    const gone = await expectNothingWritten(gw(), () => revert(gw(), moved));
    expectError(gone, 'BAD_USER_INPUT', { field: 'smtpServerId' });
    expect(gone.errors![0].message).toContain(`SMTP server ${first.id}, which has been deleted since`);

    const [head, tail] = [await createServer(gw()), await createServer(gw())];
    await updateServer(gw(), head.id, { nextServerId: tail.id });
    await updateServer(gw(), head.id, { nextServerId: null });
    const unlinked = await lastRevision(gw(), 'SmtpServer', head.id);
    await updateServer(gw(), tail.id, { nextServerId: head.id });
    expectError(await expectNothingWritten(gw(), () => revert(gw(), unlinked)), 'BAD_USER_INPUT', { field: 'nextServerId' });

    const renamed = await createLibrary(gw());
    await gw().ok(UPDATE_LIBRARY, { id: renamed.id, input: { code: unique('NEW') } });
    const recoded = await lastRevision(gw(), 'Library', renamed.id);
    await createLibrary(gw(), { code: renamed.code });
    expectError(await expectNothingWritten(gw(), () => revert(gw(), recoded)), 'BAD_USER_INPUT', { field: 'code' });
  });

  test('D3: a cleared setting value whose definition was deleted since is BAD_USER_INPUT naming key; the definition comes back with its key, then the value', async () => {
    const key = unique('REVERT_NOTE').toUpperCase();
    await gw().ok(`mutation Define($key: String!) { createSettingDefinition(input: { key: $key, valueType: STRING, allowedScopes: [GLOBAL] }) { key } }`, {
      key,
    });
    const value = await setSetting(gw(), { key, scope: 'GLOBAL', value: 'kept' });
    await gw().ok(`mutation Clear($key: String!) { clearSetting(input: { key: $key, scope: GLOBAL }) }`, { key });
    const cleared = await lastRevision(gw(), 'SettingValue', value.id);
    await gw().ok(`mutation Drop($key: String!) { deleteSettingDefinition(key: $key) }`, { key });
    expectError(await expectNothingWritten(gw(), () => revert(gw(), cleared)), 'BAD_USER_INPUT', { field: 'key' });

    // the definition comes back with its key, and then the value with its id
    await revertOk(gw(), await lastRevision(gw(), 'SettingDefinition', key));
    await revertOk(gw(), cleared);
    const values = await gw().ok<{ settingValues: any[] }>(`query Values($key: String) { settingValues(key: $key) { id value definition { key } } }`, { key });
    expect(values.settingValues).toEqual([{ id: value.id, value: 'kept', definition: { key } }]);
  });

  test('D12: a password is never in history: an undone update keeps the current one unless the host goes back, an undone delete comes back without one, and the notices say so', async () => {
    const relay = await createServer(gw(), { username: 'relay', password: 'first-secret-pw', requiresAuth: true, allowTls: true });
    await updateServer(gw(), relay.id, { name: 'Renamed relay', password: 'second-secret-pw' });
    const undone = await revertOk(gw(), await lastRevision(gw(), 'SmtpServer', relay.id));
    expect(await server(gw(), relay.id)).toMatchObject({ name: relay.name, hasPassword: true });
    const transport = await gw().ok<any>(SERVER_PASSWORD, { id: relay.id }, gw().tokens.credentials);
    expect(transport.smtpServer.transport.auth.pass).toBe('second-secret-pw');
    expect(undone.notices).toEqual([expect.stringContaining(`SMTP server ${relay.id} ("${relay.name}") keeps its current password`)]);

    await gw().ok(DELETE_SMTP_SERVER, { id: relay.id });
    const restored = await revertOk(gw(), await lastRevision(gw(), 'SmtpServer', relay.id));
    expect(await server(gw(), relay.id)).toMatchObject({ name: relay.name, hasPassword: false });
    expect(restored.notices).toEqual([expect.stringContaining('was restored without its password')]);

    // D12: a revert that moves the server back to its old host does not send the current password there
    const moving = await createServer(gw(), { host: 'old.example.org', username: 'relay', password: 'third-secret-pw', requiresAuth: true, allowTls: true });
    await updateServer(gw(), moving.id, { host: 'new.example.org', password: 'fourth-secret-pw' });
    const moved = await revertOk(gw(), await lastRevision(gw(), 'SmtpServer', moving.id));
    expect(await server(gw(), moving.id)).toMatchObject({ host: 'old.example.org', hasPassword: false });
    expect(moved.notices).toEqual([expect.stringContaining('was cleared because host changed')]);
    const everything = JSON.stringify([undone, restored, moved]);
    expect(everything).not.toContain('secret-pw');
    expect(everything).not.toMatch(/"password":"(?!\[changed\])/);
  });

  test('R2: a library-admin and a service token are FORBIDDEN and nothing is written', async () => {
    const created = await createLibrary(gw());
    const revision = await lastRevision(gw(), 'Library', created.id);
    const admin = await gw().token({ sub: 'admin-1', roles: ['library-admin'], libraries: [Number(created.id)] });
    for (const token of [admin, gw().tokens.service]) expectError(await expectNothingWritten(gw(), () => revert(gw(), revision, token)), 'FORBIDDEN');
    expect(await library(gw(), created.id)).not.toBeNull();
  });

  test('an unknown revision, one before the kept history and one whose images were pruned are BAD_USER_INPUT naming revision', async () => {
    const current = await readRevision(gw().dataSource.manager);
    for (const revision of [current + 1000, 0, 1]) {
      const result = await expectNothingWritten(gw(), () => revert(gw(), revision));
      expectError(result, 'BAD_USER_INPUT', { field: 'revision', noData: true });
    }
    const created = await createLibrary(gw());
    const revision = await lastRevision(gw(), 'Library', created.id);
    await gw().dataSource.query('UPDATE audit_entry SET beforeJson = NULL, afterJson = NULL WHERE revision = ?', [revision]);
    const pruned = await expectNothingWritten(gw(), () => revert(gw(), revision));
    expectError(pruned, 'BAD_USER_INPUT', { field: 'revision' });
    expect(pruned.errors![0].message).toBe(`Revision ${revision} is older than the kept history (CONFIG_HISTORY_DAYS), so it cannot be reverted`);
  });
});

/** A server and a library using it, written in one revision, as a write of several records makes them. */
async function createdTogether(gw: TestGateway): Promise<{ serverId: string; libraryId: string; revision: number }> {
  const runner = new WriteRunner(gw.dataSource);
  const [serverId, libraryId] = await runner.run(async (manager, write) => {
    const relay = await manager.save(
      SmtpServer,
      manager.create(SmtpServer, stamped({ name: unique('Batch relay'), host: 'smtp.example.org', port: 25, connectionTimeoutMs: 30000, timeoutMs: 180000 })),
    );
    await write.record({ actor: 'support-1', action: 'batch', entityType: 'SmtpServer', entityId: relay.id, before: null, after: relay });
    const row = await manager.save(Library, manager.create(Library, stamped({ code: unique('BATCH'), name: 'Batch library', smtpServerId: relay.id })));
    await write.record({ actor: 'support-1', action: 'batch', entityType: 'Library', entityId: row.id, libraryId: row.id, before: null, after: row });
    return [String(relay.id), String(row.id)];
  });
  return { serverId, libraryId, revision: await lastRevision(gw, 'Library', libraryId) };
}

function stamped<T extends object>(fields: T): T & { version: number; createdAt: Date; updatedAt: Date; updatedBy: string } {
  const now = new Date();
  return { ...fields, version: 1, createdAt: now, updatedAt: now, updatedBy: 'support-1' };
}
