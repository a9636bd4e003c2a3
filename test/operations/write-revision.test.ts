import { randomBytes } from 'node:crypto';
import { WriteRunner } from '../../src/database/transaction';
import { Library } from '../../src/library/library.entity';
import { parseKey, SecretBox } from '../../src/secrets/secret-box';
import { readRevision } from '../../src/snapshot/snapshot-store';
import { describeEachDatabase, TestGateway, WITH_SNAPSHOT } from '../support/gateway';
import { createLibrary, createServer } from '../support/fixtures';
import { rawPassword } from '../security/helpers';

/**
 * The configuration revision tells other instances to reload. It moves with every write that
 * changed configuration, inside that write's transaction, whether or not the write records an
 * audit entry; it stays when the write changed nothing or failed.
 */

const OLD_KEY = randomBytes(32).toString('base64');
const NEW_KEY = randomBytes(32).toString('base64');

const revisionOf = (gw: TestGateway) => readRevision(gw.dataSource.manager);
const auditCount = async (gw: TestGateway) => Number((await gw.dataSource.query('SELECT COUNT(*) AS n FROM audit_entry'))[0].n);

describeEachDatabase('the write runner moves the configuration revision', (gw) => {
  test('a write that changes configuration without an audit entry still moves the revision by one', async () => {
    const library = await createLibrary(gw());
    const runner = new WriteRunner(gw().dataSource);
    const [revision, audits] = [await revisionOf(gw()), await auditCount(gw())];
    await runner.run((manager) => manager.update(Library, { id: Number(library.id) }, { name: 'Renamed without audit' }));
    expect(await revisionOf(gw())).toBe(revision + 1);
    expect(await auditCount(gw())).toBe(audits);
  });

  test('a write that says it changed nothing leaves the revision', async () => {
    const runner = new WriteRunner(gw().dataSource);
    const revision = await revisionOf(gw());
    const result = await runner.run(async (_manager, write) => {
      write.nothingChanged();
      return 'done';
    });
    expect(result).toBe('done');
    expect(await revisionOf(gw())).toBe(revision);
  });

  test('a write that fails rolls its revision move back with its change', async () => {
    const library = await createLibrary(gw());
    const runner = new WriteRunner(gw().dataSource);
    const revision = await revisionOf(gw());
    const failed = runner.run(async (manager) => {
      await manager.update(Library, { id: Number(library.id) }, { name: 'Never committed' });
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
