import { DataSource } from 'typeorm';
import type { Loaders } from '../loaders.type';
import type { ConfigSnapshot } from '../snapshot/config-snapshot';
import type { SnapshotStore } from '../snapshot/snapshot-store';
import { beforeHistory, readHistoryBounds, requireWithinHistory, revisionInForce } from './history-bounds';
import { loadersOfSnapshot } from './historical-rows';
import { readCurrentRows } from '../snapshot/snapshot-store';
import { buildHistoricalSnapshot, rowsOfSnapshot } from './historical-snapshot';
import { RevisionLru } from './revision-lru';
import { HistoryPrunedError } from './undo-changes';

/** Historical snapshots kept: support staff usually look at a handful of moments in turn. */
const KEPT_SNAPSHOTS = 4;

/**
 * Time travel over the configuration's change log: the configuration as it was at a moment is
 * the current one with every later change undone. Each revision asked for is built once and kept
 * in a small LRU; revisions never change, so nothing there goes stale.
 */
export class HistoryService {
  private readonly snapshots = new RevisionLru<ConfigSnapshot>(KEPT_SNAPSHOTS);

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: SnapshotStore | null,
  ) {}

  /** What a question about `at` reads through: the request's own loaders without `at`, or when `at` is at or after the latest change. */
  async loadersAt(request: { loaders: Loaders }, at: Date | null | undefined): Promise<Loaders> {
    if (at === null || at === undefined) return request.loaders;
    const snapshot = await this.snapshotAt(at);
    return snapshot ? loadersOfSnapshot(request, snapshot) : request.loaders;
  }

  /** The configuration in force at `at`; null when that is the current one. */
  async snapshotAt(at: Date): Promise<ConfigSnapshot | null> {
    const manager = this.dataSource.manager;
    const bounds = await readHistoryBounds(manager);
    requireWithinHistory(bounds, at);
    const revision = await revisionInForce(manager, at, bounds);
    const current = this.store?.current ?? null;
    if (revision >= (current?.revision ?? bounds.revision)) return null;
    try {
      return await this.snapshots.get(revision, async () => {
        const rows = current ? rowsOfSnapshot(current) : await readCurrentRows(this.dataSource);
        return buildHistoricalSnapshot(this.dataSource, rows, revision);
      });
    } catch (error) {
      // Pruned while it was being rebuilt (another instance): the horizon has moved past `at`.
      if (error instanceof HistoryPrunedError) throw beforeHistory(await readHistoryBounds(manager));
      throw error;
    }
  }
}
