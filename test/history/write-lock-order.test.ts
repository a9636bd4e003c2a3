import { EntityManager } from 'typeorm';
import { WriteRunner, WriteScope } from '../../src/database/transaction';
import { Library } from '../../src/library/library.entity';
import { createLibrary } from '../support/fixtures';
import { mysqlAvailable } from '../support/gateway';
import { startTwoInstances, TwoInstances } from './two-instances';

/**
 * Every write takes the revision lock before any row's lock, so writes of two instances queue
 * instead of deadlocking: a write of two rows paused between them, and a write of the second row
 * from the other instance meanwhile, both succeed, one after the other.
 */
const run = mysqlAvailable() ? describe : describe.skip;

run('writes of two instances take their locks in one order [mysql]', () => {
  let two: TwoInstances;
  beforeAll(async () => {
    two = await startTwoInstances('mysql');
  }, 60_000);
  afterAll(() => two?.close());

  test('a two-row write and a write of its second row from the other instance both commit, in turn', async () => {
    const [first, second] = [await createLibrary(two.a, { name: 'Lock order 1' }), await createLibrary(two.a, { name: 'Lock order 2' })];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let firstRowWritten!: () => void;
    const firstRowDone = new Promise<void>((resolve) => (firstRowWritten = resolve));
    const rename = async (manager: EntityManager, write: WriteScope, id: string, name: string) => {
      const row = await manager.findOneByOrFail(Library, { id: Number(id) });
      const before = { ...row };
      row.name = name;
      await manager.save(Library, row);
      await write.record({ actor: 'support-1', action: 'updateLibrary', entityType: 'Library', entityId: row.id, libraryId: row.id, before, after: row });
    };
    const twoRows = new WriteRunner(two.a.dataSource).run(async (manager, write) => {
      await rename(manager, write, first.id, 'Renamed by the two-row write');
      firstRowWritten();
      await gate;
      await rename(manager, write, second.id, 'Renamed by the two-row write');
    });
    await firstRowDone;
    const oneRow = two.b.gql(`mutation($id: ID!) { updateLibrary(id: $id, input: { name: "Renamed by the other instance" }) { name } }`, { id: second.id });
    // long enough for the other instance's write to be waiting on a lock
    await new Promise((resolve) => setTimeout(resolve, 500));
    release();
    const [, answered] = await Promise.all([twoRows, oneRow]);
    expect(answered.errors).toBeUndefined();
    expect(answered.data!.updateLibrary.name).toBe('Renamed by the other instance');
    const names = await two.a.dataSource.query('SELECT name FROM library WHERE id IN (?, ?) ORDER BY id', [Number(first.id), Number(second.id)]);
    expect(names.map((r: { name: string }) => r.name)).toEqual(['Renamed by the two-row write', 'Renamed by the other instance']);
  }, 60_000);
});
