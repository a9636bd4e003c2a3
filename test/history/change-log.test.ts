import { createLibrary, createServer, updateServer } from '../support/fixtures';
import { describeEachDatabase, WITH_SNAPSHOT } from '../support/gateway';
import { readRevision } from '../../src/snapshot/snapshot-store';

/**
 * The audit trail is the configuration's change log: each configuration write has a revision,
 * and each of its entries the row before and after, with secrets only marked as changed.
 */

const LOG = `query Log($entityType: String, $entityId: ID) {
  auditLog(entityType: $entityType, entityId: $entityId, limit: 10) { action revision before after } }`;

interface Entry {
  action: string;
  revision: number | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

describeEachDatabase(
  'the change log',
  (gw) => {
    test('a create has no before image, an update both, a delete no after image; each entry carries the revision its write committed as', async () => {
      const library = await createLibrary(gw(), { name: 'Logged Library' });
      const created = await readRevision(gw().dataSource.manager);
      await gw().ok(`mutation($id: ID!) { updateLibrary(id: $id, input: { name: "Renamed Library" }) { id } }`, { id: library.id });
      await gw().ok(`mutation($id: ID!) { deleteLibrary(id: $id) }`, { id: library.id });
      const { auditLog } = await gw().ok<{ auditLog: Entry[] }>(LOG, { entityType: 'Library', entityId: library.id });
      const [deleted, updated, create] = auditLog;
      expect(auditLog.map((e) => e.action)).toEqual(['deleteLibrary', 'updateLibrary', 'createLibrary']);
      expect(auditLog.map((e) => e.revision)).toEqual([created + 2, created + 1, created]);
      expect(create.before).toBeNull();
      expect(create.after).toMatchObject({ id: Number(library.id), name: 'Logged Library', version: 1 });
      expect(updated.before).toMatchObject({ name: 'Logged Library', version: 1 });
      expect(updated.after).toMatchObject({ name: 'Renamed Library', version: 2 });
      expect(deleted.before).toMatchObject({ name: 'Renamed Library' });
      expect(deleted.after).toBeNull();
    });

    test('D12: a password appears only as [changed], only where the write changed it, and never as its ciphertext', async () => {
      const server = await createServer(gw(), { username: 'relay', password: 'first-secret', requiresAuth: true });
      await updateServer(gw(), server.id, { name: 'Renamed relay' });
      await updateServer(gw(), server.id, { password: 'second-secret' });
      await updateServer(gw(), server.id, { password: null });
      const { auditLog } = await gw().ok<{ auditLog: Entry[] }>(LOG, { entityType: 'SmtpServer', entityId: server.id });
      const [cleared, replaced, renamed, created] = auditLog;
      expect(created.after!.password).toBe('[changed]');
      expect(renamed.before).not.toHaveProperty('password');
      expect(renamed.after).not.toHaveProperty('password');
      expect([replaced.before!.password, replaced.after!.password]).toEqual(['[changed]', '[changed]']);
      expect([cleared.before!.password, cleared.after!.password]).toEqual(['[changed]', null]);
      const stored = await gw().dataSource.query('SELECT beforeJson, afterJson FROM audit_entry');
      const ciphertexts = (await gw().dataSource.query('SELECT password FROM smtp_server WHERE password IS NOT NULL')) as Array<{ password: string }>;
      const text = JSON.stringify(stored);
      for (const secret of ['first-secret', 'second-secret', ...ciphertexts.map((c) => c.password)]) expect(text).not.toContain(secret);
    });
  },
  WITH_SNAPSHOT,
);
