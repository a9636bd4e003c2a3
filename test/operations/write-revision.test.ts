import { randomBytes } from 'node:crypto';
import { WriteRunner } from '../../src/database/transaction';
import { Library } from '../../src/library/library.entity';
import { parseKey, SecretBox } from '../../src/secrets/secret-box';
import { readRevision } from '../../src/snapshot/snapshot-store';
import { describeEachDatabase, TestGateway, WITH_SNAPSHOT } from '../support/gateway';
import { createLibrary, createServer } from '../support/fixtures';
import { rawPassword } from '../security/helpers';

/**
 * The configuration revision tells other instances to catch up. It moves once with every write
 * that recorded a change, inside that write's transaction; it stays when the write changed
 * nothing or failed.
 */

const OLD_KEY = randomBytes(32).toString('base64');
const NEW_KEY = randomBytes(32).toString('base64');

const revisionOf = (gw: TestGateway) => readRevision(gw.dataSource.manager);
const auditCount = async (gw: TestGateway) => Number((await gw.dataSource.query('SELECT COUNT(*) AS n FROM audit_entry'))[0].n);

describeEachDatabase('the write runner moves the configuration revision', (gw) => {
  test('a write moves the revision once however many rows it records, and its entries carry that revision', async () => {
    const [one, two] = [await createLibrary(gw()), await createLibrary(gw())];
    const runner = new WriteRunner(gw().dataSource);
    const [revision, audits] = [await revisionOf(gw()), await auditCount(gw())];
    await runner.run(async (manager, write) => {
      for (const library of [one, two]) {
        const row = await manager.findOneByOrFail(Library, { id: Number(library.id) });
        const before = { ...row };
        row.name = `${row.name} renamed`;
        await manager.save(Library, row);
        await write.record({ actor: 'support-1', action: 'updateLibrary', entityType: 'Library', entityId: row.id, libraryId: row.id, before, after: row });
      }
    });
    expect(await revisionOf(gw())).toBe(revision + 1);
    expect(await auditCount(gw())).toBe(audits + 2);
    const entries = await gw().dataSource.query('SELECT revision FROM audit_entry ORDER BY id DESC LIMIT 2');
    expect(entries.map((e: { revision: number | string }) => Number(e.revision))).toEqual([revision + 1, revision + 1]);
  });

  test('a write that records nothing leaves the revision', async () => {
    const runner = new WriteRunner(gw().dataSource);
    const revision = await revisionOf(gw());
    const result = await runner.run(async () => 'done');
    expect(result).toBe('done');
    expect(await revisionOf(gw())).toBe(revision);
  });

  test('a write that fails rolls its revision move back with its change', async () => {
    const library = await createLibrary(gw());
    const runner = new WriteRunner(gw().dataSource);
    const revision = await revisionOf(gw());
    const failed = runner.run(async (manager, write) => {
      await manager.update(Library, { id: Number(library.id) }, { name: 'Never committed' });
      await write.record({
        actor: 'support-1',
        action: 'updateLibrary',
        entityType: 'Library',
        entityId: library.id,
        before: null,
        after: { id: Number(library.id) },
      });
      throw new Error('refused after writing');
    });
    await expect(failed).rejects.toThrow('refused after writing');
    expect(await revisionOf(gw())).toBe(revision);
    expect((await gw().dataSource.manager.findOneByOrFail(Library, { id: Number(library.id) })).name).not.toBe('Never committed');
  });

  test('an audit entry of an action that changes no configuration (a test mail) leaves the revision', async () => {
    const revision = await revisionOf(gw());
    await gw().services.audit.record({ actor: 'support-1', action: 'sendTestMail', entityType: 'Library', entityId: 1, before: null, after: null });
    expect(await revisionOf(gw())).toBe(revision);
  });

  test('D3: clearing a setting value that is not there changes nothing and leaves the revision', async () => {
    const revision = await revisionOf(gw());
    const cleared = await gw().ok<{ clearSetting: boolean }>(`mutation { clearSetting(input: { key: "DEFAULT_SMTP_SERVER", scope: GLOBAL }) }`);
    expect(cleared.clearSetting).toBe(false);
    expect(await revisionOf(gw())).toBe(revision);
  });
});

describeEachDatabase(
  'D12: key rotation moves the configuration revision',
  (gw) => {
    test('D12: rotateKeys re-encrypting a password moves the revision once and the snapshot follows; a rotation with nothing to do leaves it', async () => {
      const server = await createServer(gw(), { username: 'rotated', password: 'placeholder', requiresAuth: true });
      const sealedOld = new SecretBox(parseKey('OLD', OLD_KEY)).seal('rotate-me', `smtp_server:${server.id}`);
      await gw().dataSource.query('UPDATE smtp_server SET password = ? WHERE id = ?', [sealedOld, Number(server.id)]);
      const revision = await revisionOf(gw());

      expect(await gw().services.smtpServers.rotateKeys()).toBe(1);
      expect(await rawPassword(gw(), server.id)).not.toBe(sealedOld);
      expect(await revisionOf(gw())).toBe(revision + 1);
      expect(gw().services.snapshots!.current!.revision).toBe(revision + 1);

      expect(await gw().services.smtpServers.rotateKeys()).toBe(0);
      expect(await revisionOf(gw())).toBe(revision + 1);
    });
  },
  { ...WITH_SNAPSHOT, secrets: { key: NEW_KEY, oldKeys: [OLD_KEY], devKeyFile: '' } },
);
