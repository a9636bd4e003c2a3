import { DataSource } from 'typeorm';
import type { Loaders } from '../loaders.type';
import type { ConfigSnapshot } from '../snapshot/config-snapshot';
import type { SnapshotStore } from '../snapshot/snapshot-store';
import { BadInputError } from '../common/errors';
import { beforeHistory, readHistoryBounds, requireWithinHistory, revisionInForce } from './history-bounds';
import { loadersOfSnapshot } from './historical-rows';
import { readCurrentRows } from '../snapshot/snapshot-store';
import { buildHistoricalSnapshot, rowsOfSnapshot } from './historical-snapshot';
import { RevisionLru } from './revision-lru';
import { HistoryPrunedError } from './undo-changes';

/** Historical snapshots kept: support staff usually look at a handful of moments in turn. */
const KEPT_SNAPSHOTS = 4;

/**
 * Different past revisions one request may ask about. Each is a whole copy of the configuration,
 * so without a bound 30 aliases with 30 moments would build 30 copies for one request.
 */
export const MAX_REVISIONS_PER_REQUEST = KEPT_SNAPSHOTS;

/**
 * Time travel over the configuration's change log: the configuration as it was at a moment is
 * the current one with every later change undone. Each revision asked for is built once and kept
 * in a small LRU; revisions never change, so nothing there goes stale.
 */
export class HistoryService {
  private readonly snapshots = new RevisionLru<ConfigSnapshot>(KEPT_SNAPSHOTS);
  /** Each request's answer per moment asked about. */
  private readonly moments = new WeakMap<object, Map<number, Promise<Loaders>>>();
  /** The past revisions each request has asked about so far. */
  private readonly asked = new WeakMap<object, Set<number>>();
  /** Builds run one at a time: a burst of requests for many moments queues instead of copying the configuration in parallel. */
  private building: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: SnapshotStore | null,
  ) {}

  /**
   * What a question about `at` reads through: the request's own loaders without `at`, or when `at`
   * is at or after the latest change. Looked up once per request and moment: every item of a list
   * asking about the same moment shares it, so the list does not cost two queries per item.
   */
  loadersAt(request: { loaders: Loaders }, at: Date | null | undefined): Promise<Loaders> {
    if (at === null || at === undefined) return Promise.resolve(request.loaders);
    let moments = this.moments.get(request);
    if (!moments) this.moments.set(request, (moments = new Map()));
    let loaders = moments.get(at.getTime());
    if (!loaders) {
      loaders = this.snapshotAt(at, request).then((snapshot) => (snapshot ? loadersOfSnapshot(request, snapshot) : request.loaders));
      moments.set(at.getTime(), loaders);
    }
    return loaders;
  }

  /** The configuration in force at `at`; null when that is the current one. `request` is counted against MAX_REVISIONS_PER_REQUEST. */
  async snapshotAt(at: Date, request?: object): Promise<ConfigSnapshot | null> {
    // Nothing has been recorded after now; and a moment past year 9999 would not even compare as a stored date.
    if (at.getTime() >= Date.now()) return null;
    const manager = this.dataSource.manager;
    const bounds = await readHistoryBounds(manager);
    requireWithinHistory(bounds, at);
    const revision = await revisionInForce(manager, at, bounds);
    const current = this.store?.current ?? null;
    if (revision >= (current?.revision ?? bounds.revision)) return null;
    if (request) this.admit(request, revision);
    try {
      return await this.snapshots.get(revision, () =>
        this.oneAtATime(async () => {
          const rows = current ? rowsOfSnapshot(current) : await readCurrentRows(this.dataSource);
          return buildHistoricalSnapshot(this.dataSource, rows, revision);
        }),
      );
    } catch (error) {
      // Pruned while it was being rebuilt (another instance): the horizon has moved past `at`.
      if (error instanceof HistoryPrunedError) throw beforeHistory(await readHistoryBounds(manager));
      throw error;
    }
  }

  private admit(request: object, revision: number): void {
    let revisions = this.asked.get(request);
    if (!revisions) this.asked.set(request, (revisions = new Set()));
    if (!revisions.has(revision) && revisions.size >= MAX_REVISIONS_PER_REQUEST) {
      throw new BadInputError(
        'at',
        `One request may ask about at most ${MAX_REVISIONS_PER_REQUEST} different moments of the past (different revisions); ask for the others in another request`,
      );
    }
    revisions.add(revision);
  }

  private oneAtATime<T>(work: () => Promise<T>): Promise<T> {
    const result = this.building.then(work);
    this.building = result.catch(() => undefined);
    return result;
  }
}
