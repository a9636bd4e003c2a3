import { ConfigSnapshot } from '../../src/snapshot/config-snapshot';
import { createLibrary } from '../support/fixtures';
import { describeEachDatabase, WITH_SNAPSHOT } from '../support/gateway';

/**
 * A write is committed before its changes reach the snapshot. When applying them in memory fails,
 * the caller still gets its answer and the snapshot catches up from the change log instead.
 */
describeEachDatabase(
  'a write whose changes cannot be applied in memory',
  (gw) => {
    test('is answered as committed, and the snapshot catches up from the change log', async () => {
      const library = await createLibrary(gw(), { name: 'Before the failure' });
      const applied = jest.spyOn(ConfigSnapshot.prototype, 'applied').mockImplementationOnce(() => {
        throw new Error('simulated failure while applying');
      });
      try {
        const renamed = await gw().ok<{ updateLibrary: { name: string } }>(
          `mutation($id: ID!) { updateLibrary(id: $id, input: { name: "After the failure" }) { name } }`,
          {
            id: library.id,
          },
        );
        expect(renamed.updateLibrary.name).toBe('After the failure');
        expect(applied).toHaveBeenCalledTimes(2); // the failed attempt, then the catch-up from the log
        expect(gw().services.snapshots!.current!.libraries.get(Number(library.id))!.name).toBe('After the failure');
        expect(gw().logLines.some((line) => line.includes('applying a write to the snapshot failed'))).toBe(true);
      } finally {
        applied.mockRestore();
      }
    });
  },
  WITH_SNAPSHOT,
);
