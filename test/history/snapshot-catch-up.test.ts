import { EntityManager } from 'typeorm';
import { SYSTEM_ACTOR } from '../../src/bootstrap/system-actor';
import { Department } from '../../src/department/department.entity';
import { stampNew, WriteRunner, WriteScope } from '../../src/database/transaction';
import { sqlDateTime } from '../../src/history/history-bounds';
import { HistoryPruner } from '../../src/history/history-pruner';
import { MAX_REPLAYED_ENTRIES } from '../../src/snapshot/change-feed';
import { readRevision } from '../../src/snapshot/snapshot-store';
import { createLibrary, createServer } from '../support/fixtures';
import { mysqlAvailable, TestGateway } from '../support/gateway';
import { currentImage, fullLoad, startTwoInstances, TwoInstances } from './two-instances';

/**
 * Two instances on one database keeping their snapshots current from the change log: writes from
 * both interleaved, an instance writing while it is behind, the log pruned or too long to replay,
 * and rows changed around the API.
 */

const DAY_MS = 86_400_000;
const quiet = { log: () => undefined };
const writesOf = (gw: TestGateway) => (gw.services.revert as unknown as { writes: WriteRunner }).writes;
const UPDATE_LIBRARY = `mutation RenameLibraryCatchUp($id: ID!, $input: LibraryUpdateInput!) { updateLibrary(id: $id, input: $input) { id } }`;

/** One write creating `count` departments, recorded as an import would be. */
async function importDepartments(gw: TestGateway, libraryId: string, count: number): Promise<void> {
  await writesOf(gw).run(async (manager: EntityManager, write: WriteScope) => {
    const rows = Array.from({ length: count }, (_, i) =>
      stampNew(manager.create(Department, { libraryId: Number(libraryId), name: `Bulk ${i}`, email: null, smtpServerId: null }), SYSTEM_ACTOR, new Date()),
    );
    for (let i = 0; i < rows.length; i += 500) await manager.save(Department, rows.slice(i, i + 500));
    for (const saved of rows) {
      await write.record({
        actor: 'import-job',
        action: 'createDepartment',
        entityType: 'Department',
        entityId: saved.id,
        libraryId: saved.libraryId,
        before: null,
        after: saved,
      });
    }
  });
}

for (const kind of ['sqlite', 'mysql'] as const) {
  const run = kind === 'sqlite' || mysqlAvailable() ? describe : describe.skip;
  run(`snapshots of two instances catching up from the change log [${kind}]`, () => {
    let two: TwoInstances;
    let loads: jest.SpyInstance[];
    beforeAll(async () => {
      two = await startTwoInstances(kind);
    }, 60_000);
    afterAll(async () => {
      await two?.close();
    });
    beforeEach(() => {
      loads = [two.a, two.b].map((gw) => jest.spyOn(gw.services.snapshots! as any, 'load'));
    });
    afterEach(() => jest.restoreAllMocks());
    const fullLoadsOf = () => loads.map((load) => load.mock.calls.length);

    test("interleaved writes of both; an instance's own write arriving while it is behind catches up from the log, in order, without a full load", async () => {
      const server = await createServer(two.a);
      const library = await createLibrary(two.a, { name: 'Interleaved 0', contactEmail: 'i@example.org', smtpServerId: server.id });
      for (let i = 1; i <= 6; i++) {
        // the writer alternates; neither polls, so each one's own write finds it behind the other's
        const writer = i % 2 ? two.b : two.a;
        await writer.ok(UPDATE_LIBRARY, { id: library.id, input: { name: `Interleaved ${i}`, shortName: `S${i}` } });
        const revision = await readRevision(writer.dataSource.manager);
        expect(writer.services.snapshots!.current!.revision).toBe(revision);
        expect(currentImage(writer)).toEqual(await fullLoad(writer));
      }
      await two.b.services.snapshots!.refresh();
      expect(currentImage(two.b)).toEqual(currentImage(two.a));
      expect(fullLoadsOf()).toEqual([0, 0]);
    });

    test('a COMMIT whose outcome is unknown, and a refresh while a write is applied, end at what the database holds', async () => {
      const library = await createLibrary(two.a, { contactEmail: 'u@example.org' });
      await two.a.ok(UPDATE_LIBRARY, { id: library.id, input: { name: 'Written elsewhere' } });
      // what the write runner does when COMMIT got no answer
      await two.b.services.snapshots!.afterWrite(null);
      expect(currentImage(two.b)).toEqual(await fullLoad(two.b));
      const b = two.b.services.snapshots!;
      const [, own, , other] = await Promise.all([
        b.refresh(),
        two.b.gql(UPDATE_LIBRARY, { id: library.id, input: { name: 'Raced' } }),
        b.refresh(),
        two.a.gql(UPDATE_LIBRARY, { id: library.id, input: { shortName: 'R' } }),
        b.refresh(),
      ]);
      // two instances writing one row at once: one may be refused (D10), neither is half applied
      for (const result of [own, other]) if (result.errors) expect(result.errors[0].extensions!.code).toBe('CONFLICT');
      expect(Boolean(own.errors && other.errors)).toBe(false);
      await b.refresh();
      expect(currentImage(two.b)).toEqual(await fullLoad(two.b));
      expect(fullLoadsOf()).toEqual([0, 0]);
    });

    test("the log pruned past an instance's revision: that instance loads in full and is right", async () => {
      const library = await createLibrary(two.a, { contactEmail: 'p@example.org' });
      await two.b.services.snapshots!.refresh();
      for (let i = 0; i < 3; i++) await two.a.ok(UPDATE_LIBRARY, { id: library.id, input: { name: `Pruned ${i}` } });
      const revision = await readRevision(two.a.dataSource.manager);
      await two.a.dataSource.query('UPDATE audit_entry SET at = ? WHERE revision IS NOT NULL', [sqlDateTime(new Date(Date.now() - 10 * DAY_MS))]);
      expect(await new HistoryPruner(writesOf(two.a), { days: 5 }, quiet).prune()).toMatchObject({ revision });
      await two.b.services.snapshots!.refresh();
      expect(fullLoadsOf()).toEqual([0, 1]);
      expect(currentImage(two.b)).toEqual(await fullLoad(two.b));
    });

    test(`more than ${MAX_REPLAYED_ENTRIES} entries behind: a full load; one write of that many rows is applied by its writer in memory`, async () => {
      const library = await createLibrary(two.a, { contactEmail: 'bulk@example.org' });
      await two.b.services.snapshots!.refresh();
      await importDepartments(two.a, library.id, MAX_REPLAYED_ENTRIES + 1);
      await two.b.services.snapshots!.refresh();
      expect(fullLoadsOf()).toEqual([0, 1]);
      const expected = await fullLoad(two.a);
      expect(currentImage(two.a)).toEqual(expected);
      expect(currentImage(two.b)).toEqual(expected);
    }, 120_000);

    test('a row changed around the API is not seen until a full load; moving the revision without a log entry forces one', async () => {
      const library = await createLibrary(two.a, { name: 'Around 0', contactEmail: 'around@example.org' });
      await two.b.services.snapshots!.refresh();
      await two.a.dataSource.query('UPDATE library SET name = ? WHERE id = ?', ['Around SQL', Number(library.id)]);
      await two.b.services.snapshots!.refresh();
      expect(two.b.services.snapshots!.current!.libraries.get(Number(library.id))!.name).toBe('Around 0');
      await two.a.dataSource.query('UPDATE config_revision SET revision = revision + 1 WHERE id = 1');
      await Promise.all([two.a.services.snapshots!.refresh(), two.b.services.snapshots!.refresh()]);
      expect(fullLoadsOf()).toEqual([1, 1]);
      for (const gw of [two.a, two.b]) expect(gw.services.snapshots!.current!.libraries.get(Number(library.id))!.name).toBe('Around SQL');
    });
  });
}
