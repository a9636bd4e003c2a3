import { randomBytes } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Department } from '../../src/department/department.entity';
import { stampNew, WriteRunner, WriteScope } from '../../src/database/transaction';
import { Library } from '../../src/library/library.entity';
import { parseKey, SecretBox } from '../../src/secrets/secret-box';
import { readRevision } from '../../src/snapshot/snapshot-store';
import { REVERT_CHANGE } from '../support/documents';
import { expectError } from '../support/expect-error';
import { createLibrary, createServer } from '../support/fixtures';
import { describeEachDatabase, mysqlAvailable, TestGateway, WITH_SNAPSHOT } from '../support/gateway';
import { rawPassword } from '../security/helpers';
import { currentImage, fullLoad, startTwoInstances, TwoInstances } from './two-instances';

/**
 * revertChange under attack: a key rotation reverted (nothing secret comes back), chains of
 * reverts, a revision of hundreds of rows, and two instances reverting or writing at once.
 */

const OLD_KEY = randomBytes(32).toString('base64');
const NEW_KEY = randomBytes(32).toString('base64');
const ACTOR = { sub: 'import-job' };

interface RevertResult {
  entries: Array<{
    action: string;
    entityType: string;
    entityId: string;
    revision: number;
    before: Record<string, any> | null;
    after: Record<string, any> | null;
  }>;
  notices: string[];
}
const revert = (gw: TestGateway, revision: number) => gw.gql<{ revertChange: RevertResult }>(REVERT_CHANGE, { revision });
const revertOk = async (gw: TestGateway, revision: number) => (await gw.ok<{ revertChange: RevertResult }>(REVERT_CHANGE, { revision })).revertChange;
const revisionOf = (gw: TestGateway) => readRevision(gw.dataSource.manager);
const writesOf = (gw: TestGateway) => (gw.services.revert as unknown as { writes: WriteRunner }).writes;
const UPDATE_LIBRARY = `mutation UpdateLibraryRace($id: ID!, $input: LibraryUpdateInput!) { updateLibrary(id: $id, input: $input) { id version } }`;
const UPDATE_DEPARTMENT = `mutation UpdateDepartmentRace($id: ID!, $input: DepartmentUpdateInput!) { updateDepartment(id: $id, input: $input) { id } }`;
const TRANSPORT = `query TransportAfterRevert($id: ID!) { smtpServer(id: $id) { transport { auth { pass } } } }`;

/** One write creating `count` departments of a library, recorded as an import would be. */
async function importDepartments(gw: TestGateway, libraryId: string, count: number): Promise<number> {
  await writesOf(gw).run(async (manager: EntityManager, write: WriteScope) => {
    for (let i = 0; i < count; i++) {
      const row = stampNew(
        manager.create(Department, { libraryId: Number(libraryId), name: `Imported ${i}`, email: null, smtpServerId: null }),
        ACTOR,
        new Date(),
      );
      const saved = await manager.save(Department, row);
      await write.record({
        actor: ACTOR.sub,
        action: 'createDepartment',
        entityType: 'Department',
        entityId: saved.id,
        libraryId: saved.libraryId,
        before: null,
        after: saved,
      });
    }
  });
  return revisionOf(gw);
}

const departmentCount = async (gw: TestGateway, libraryId: string) =>
  Number((await gw.dataSource.query('SELECT COUNT(*) AS n FROM department WHERE libraryId = ?', [Number(libraryId)]))[0].n);

describeEachDatabase(
  'revertChange under attack',
  (gw) => {
    test('D12: reverting a key rotation writes nothing, keeps the rotated password (which still works) and shows no secret', async () => {
      const server = await createServer(gw(), { username: 'rotated', password: 'placeholder', requiresAuth: true });
      const secret = `rotate-${randomBytes(6).toString('hex')}`;
      const sealedOld = new SecretBox(parseKey('OLD', OLD_KEY)).seal(secret, `smtp_server:${server.id}`);
      await gw().dataSource.query('UPDATE smtp_server SET password = ? WHERE id = ?', [sealedOld, Number(server.id)]);
      expect(await gw().services.smtpServers.rotateKeys()).toBe(1);
      const rotation = await revisionOf(gw());
      const rotated = await rawPassword(gw(), server.id);

      const result = await revert(gw(), rotation);
      expect(result.errors).toBeUndefined();
      expect(result.data!.revertChange.entries).toEqual([]);
      expect(result.data!.revertChange.notices).toEqual([expect.stringMatching(/keeps its current password/)]);
      expect(await revisionOf(gw())).toBe(rotation);
      expect(await rawPassword(gw(), server.id)).toBe(rotated);
      const body = JSON.stringify(result);
      for (const hidden of [secret, sealedOld, rotated as string]) expect(body).not.toContain(hidden);
      const transport = await gw().ok<any>(TRANSPORT, { id: server.id }, gw().tokens.credentials);
      expect(transport.smtpServer.transport.auth.pass).toBe(secret);
    });

    test('a revert of a revert of a revert: each is a new revision flipping the row, with its own entries; the first one is then CONFLICT', async () => {
      const [first, second] = [await createServer(gw()), await createServer(gw())];
      const library = await createLibrary(gw(), { smtpServerId: first.id });
      await gw().ok(UPDATE_LIBRARY, { id: library.id, input: { smtpServerId: second.id } });
      const original = await revisionOf(gw());
      let revision = original;
      const servers: Array<string | null> = [];
      for (let i = 0; i < 3; i++) {
        const undone = await revertOk(gw(), revision);
        expect(undone.entries).toHaveLength(1);
        const [entry] = undone.entries;
        expect(entry).toMatchObject({ action: 'revertChange', entityType: 'Library', entityId: library.id, revision: revision + 1 });
        expect(entry.before!.smtpServerId).not.toBe(entry.after!.smtpServerId);
        expect(entry.after!.version).toBe(entry.before!.version + 1);
        servers.push(String(entry.after!.smtpServerId));
        revision = entry.revision;
      }
      expect(servers).toEqual([first.id, second.id, first.id]);
      expectError(await revert(gw(), original), 'CONFLICT');
      expect(await revisionOf(gw())).toBe(revision);
    });

    test('a revision of 300 rows is undone as one revision of 300 entries, and brought back the same way; a row changed since refuses all', async () => {
      const library = await createLibrary(gw(), { contactEmail: 'import@example.org' });
      const imported = await importDepartments(gw(), library.id, 300);
      const undone = await revertOk(gw(), imported);
      expect(undone.entries).toHaveLength(300);
      expect(new Set(undone.entries.map((e) => e.revision))).toEqual(new Set([imported + 1]));
      expect(await departmentCount(gw(), library.id)).toBe(0);
      const back = await revertOk(gw(), imported + 1);
      expect(back.entries).toHaveLength(300);
      expect(await departmentCount(gw(), library.id)).toBe(300);
      expect(currentImage(gw())).toEqual(await fullLoad(gw()));

      const one = back.entries[150].entityId;
      await gw().ok(UPDATE_DEPARTMENT, { id: one, input: { name: 'Changed since' } });
      const revision = await revisionOf(gw());
      expectError(await revert(gw(), imported + 2), 'CONFLICT');
      expect(await departmentCount(gw(), library.id)).toBe(300);
      expect(await revisionOf(gw())).toBe(revision);
    }, 60_000);
  },
  { ...WITH_SNAPSHOT, secrets: { key: NEW_KEY, oldKeys: [OLD_KEY], devKeyFile: '' } },
);

for (const kind of ['sqlite', 'mysql'] as const) {
  const run = kind === 'sqlite' || mysqlAvailable() ? describe : describe.skip;
  run(`revertChange on two instances of one database [${kind}]`, () => {
    let two: TwoInstances;
    beforeAll(async () => {
      two = await startTwoInstances(kind);
    }, 60_000);
    afterAll(async () => {
      await two?.close();
    });

    const settle = async () => {
      await two.a.services.snapshots!.refresh();
      await two.b.services.snapshots!.refresh();
      const expected = await fullLoad(two.a);
      expect(currentImage(two.a)).toEqual(expected);
      expect(currentImage(two.b)).toEqual(expected);
    };

    test('the same revision reverted on both at once: exactly one wins, the other is CONFLICT, one new revision, no half state', async () => {
      for (let round = 0; round < 5; round++) {
        const [first, second] = [await createServer(two.a), await createServer(two.a)];
        const library = await createLibrary(two.a, { smtpServerId: first.id });
        await two.a.ok(UPDATE_LIBRARY, { id: library.id, input: { smtpServerId: second.id, name: `Round ${round}` } });
        const revision = await revisionOf(two.a);
        const results = await Promise.all([revert(two.a, revision), revert(two.b, revision)]);
        const won = results.filter((r) => !r.errors);
        const lost = results.filter((r) => r.errors);
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(lost[0].errors![0].extensions!.code).toBe('CONFLICT');
        expect(await revisionOf(two.a)).toBe(revision + 1);
        const row = await two.a.dataSource.getRepository(Library).findOneByOrFail({ id: Number(library.id) });
        expect(row).toMatchObject({ smtpServerId: Number(first.id), version: 3 });
        await settle();
      }
    }, 60_000);

    test('a revert of two rows racing a write of either on the other instance: both rows go back or neither, and a loser is CONFLICT', async () => {
      for (let round = 0; round < 6; round++) {
        const library = await createLibrary(two.a, { name: `Race ${round}`, contactEmail: 'race@example.org' });
        const departments = await importDepartments(two.a, library.id, 1);
        const [department] = (await two.a.dataSource.query('SELECT id FROM department WHERE libraryId = ?', [Number(library.id)])) as Array<{ id: number }>;
        // one revision changing the library and its department
        await writesOf(two.a).run(async (manager, write) => {
          const lib = await manager.findOneByOrFail(Library, { id: Number(library.id) });
          const dep = await manager.findOneByOrFail(Department, { id: department.id });
          for (const [type, row] of [
            ['Library', lib],
            ['Department', dep],
          ] as const) {
            const was = { ...row };
            Object.assign(row, { name: `${row.name} renamed`, version: row.version + 1 });
            await manager.save(row);
            await write.record({
              actor: ACTOR.sub,
              action: `update${type}`,
              entityType: type,
              entityId: row.id,
              libraryId: Number(library.id),
              before: was,
              after: row,
            });
          }
        });
        const revision = await revisionOf(two.a);
        expect(revision).toBe(departments + 1);
        // the department is undone first, the library last: the write races one or the other
        const write =
          round % 2 === 0
            ? two.b.gql(UPDATE_DEPARTMENT, { id: String(department.id), input: { email: 'raced@example.org' } })
            : two.b.gql(UPDATE_LIBRARY, { id: library.id, input: { contactEmail: 'raced@example.org' } });
        const [reverted, updated] = await Promise.all([revert(two.a, revision), write]);
        const lib = await two.a.dataSource.getRepository(Library).findOneByOrFail({ id: Number(library.id) });
        const dep = await two.a.dataSource.getRepository(Department).findOneByOrFail({ id: department.id });
        for (const result of [reverted, updated]) if (result.errors) expect(result.errors[0].extensions!.code).toBe('CONFLICT');
        const raced = round % 2 === 0 ? dep.email : lib.contactEmail;
        expect(raced).toBe(updated.errors ? (round % 2 === 0 ? null : 'race@example.org') : 'raced@example.org');
        const names = reverted.errors ? [`Race ${round} renamed`, 'Imported 0 renamed'] : [`Race ${round}`, 'Imported 0'];
        expect([lib.name, dep.name]).toEqual(names);
        await settle();
      }
    }, 60_000);
  });
}
