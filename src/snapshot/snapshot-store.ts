import { DataSource, EntityManager } from 'typeorm';
import { Logger } from '../common/logger';
import { DEFAULT_DATABASE_TIMEOUTS } from '../config';
import { statementTimeoutsOf, withinMs } from '../database/statement-timeouts';
import { Department } from '../department/department.entity';
import { Library } from '../library/library.entity';
import { SettingDefinition } from '../settings/setting-definition.entity';
import { SettingValue } from '../settings/setting-value.entity';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import type { ChangeSet } from '../history/change-log';
import { changesSince, ownUpdates } from './change-feed';
import { ConfigSnapshot, SnapshotRows } from './config-snapshot';

export interface SnapshotEvents {
  revisionChecked(): void;
  reloaded(durationMs: number, snapshot: ConfigSnapshot): void;
  /** Writes applied without a reload: this instance's own, or other instances' replayed from the log. */
  applied(source: 'own' | 'log', revisions: number): void;
  refreshFailed(error: Error): void;
}

export async function readRevision(manager: EntityManager): Promise<number> {
  const rows: Array<{ revision: number | string }> = await manager.query('SELECT revision FROM config_revision WHERE id = 1');
  return Number(rows[0]?.revision ?? 0);
}

/** Every configuration row and the revision they are at, read as one consistent view. */
export function readCurrentRows(dataSource: DataSource): Promise<SnapshotRows> {
  const read = async (manager: EntityManager): Promise<SnapshotRows> => ({
    revision: await readRevision(manager),
    servers: await manager.find(SmtpServer),
    libraries: await manager.find(Library),
    departments: await manager.find(Department),
    definitions: await manager.find(SettingDefinition),
    values: await manager.find(SettingValue),
  });
  // One transaction gives one consistent view (REPEATABLE READ on MySQL; SQLite has one connection).
  return dataSource.options.type === 'mysql' ? dataSource.transaction('REPEATABLE READ', read) : read(dataSource.manager);
}

/** The current revision, and the last one whose change images were pruned (history is complete after it). */
export async function readHistory(manager: EntityManager): Promise<{ revision: number; historyRevision: number }> {
  const rows: Array<{ revision: number | string; historyRevision: number | string }> = await manager.query(
    'SELECT revision, historyRevision FROM config_revision WHERE id = 1',
  );
  return { revision: Number(rows[0]?.revision ?? 0), historyRevision: Number(rows[0]?.historyRevision ?? 0) };
}

/**
 * Keeps the configuration snapshot current: this instance applies its own writes' changes in
 * memory, and every `refreshMs` asks the database (one small query) whether another instance
 * wrote, then replays those changes from the change log (one more query); a full load only at
 * start-up or when the log cannot cover the gap.
 * When the database is unreachable, or does not answer the check within DB_CHECK_TIMEOUT_MS
 * (a hung server), the last snapshot keeps answering, marked stale.
 */
export class SnapshotStore {
  private snapshot: ConfigSnapshot | null = null;
  private failing = false;
  private timer: NodeJS.Timeout | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(snapshot: ConfigSnapshot) => void>();
  private readonly staleListeners = new Set<(stale: boolean) => void>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly logger: Logger,
    private readonly events: Partial<SnapshotEvents> = {},
  ) {}

  get current(): ConfigSnapshot | null {
    return this.snapshot;
  }

  /** True while the snapshot could not be checked against the database. */
  get stale(): boolean {
    return this.failing;
  }

  /**
   * Calls `listener` with every snapshot swapped in from now on (a write here, another
   * instance's write seen by the refresh, a reload). Returns the unsubscribe function.
   */
  subscribe(listener: (snapshot: ConfigSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` each time `stale` turns on or off. Returns the unsubscribe function. */
  onStaleChange(listener: (stale: boolean) => void): () => void {
    this.staleListeners.add(listener);
    return () => this.staleListeners.delete(listener);
  }

  /** A full load, after every change queued before it. */
  reload(): Promise<ConfigSnapshot> {
    return this.serially(() => this.load());
  }

  /**
   * After a write of this instance: its changes are applied to the snapshot in memory when the
   * snapshot is at the revision just before; otherwise (another instance wrote in between, or
   * the COMMIT's outcome is unknown: null) the snapshot catches up from the change log.
   */
  afterWrite(changes: ChangeSet | null): Promise<void> {
    return this.serially(async () => {
      const current = this.snapshot;
      if (changes && current && current.revision === changes.revision - 1) {
        try {
          this.swapIn(current.applied(changes.revision, ownUpdates(current, changes, this.dataSource.manager)));
          this.events.applied?.('own', 1);
          return;
        } catch (error) {
          // The write is committed whatever happens here: its caller must not see a failure, and
          // the snapshot still has to catch up, from the log this time.
          this.logger.log('error', 'applying a write to the snapshot failed; catching up from the change log', { error: (error as Error).message });
        }
      }
      await this.refreshNow();
    });
  }

  /** Asks the database for its revision and catches up when it moved; marks the snapshot stale when it cannot ask. */
  refresh(): Promise<void> {
    return this.serially(() => this.refreshNow());
  }

  private async refreshNow(): Promise<void> {
    try {
      const checkMs = (statementTimeoutsOf(this.dataSource) ?? DEFAULT_DATABASE_TIMEOUTS).checkMs;
      const revision = await withinMs(this.dataSource, checkMs, readRevision);
      this.events.revisionChecked?.();
      if (!this.snapshot || revision !== this.snapshot.revision) await this.catchUp();
      if (this.failing) this.logger.log('info', 'configuration database reachable again');
      this.setFailing(false);
    } catch (error) {
      if (!this.failing)
        this.logger.log('error', 'configuration refresh failed; answering from the last snapshot', { error: (error as Error).message.split('\n')[0] });
      this.setFailing(true);
      this.events.refreshFailed?.(error as Error);
    }
  }

  private setFailing(failing: boolean): void {
    if (failing === this.failing) return;
    this.failing = failing;
    this.notify(this.staleListeners, failing);
  }

  start(refreshMs: number): void {
    if (refreshMs <= 0 || this.timer) return;
    let running = false;
    this.timer = setInterval(() => {
      if (running) return;
      running = true;
      void this.refresh().finally(() => {
        running = false;
      });
    }, refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Snapshot changes one at a time: a write's own changes never race a refresh that replays them. */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** One transaction gives one consistent view (REPEATABLE READ on MySQL; SQLite has one connection). */
  private read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.options.type === 'mysql' ? this.dataSource.transaction('REPEATABLE READ', work) : work(this.dataSource.manager);
  }

  /** Replays the change log since the snapshot's revision; a full load when it cannot (see changesSince). */
  private async catchUp(): Promise<void> {
    const current = this.snapshot;
    if (!current) {
      await this.load();
      return;
    }
    const caughtUp = await this.read(async (manager) => {
      const history = await readHistory(manager);
      const updates = await changesSince(manager, current, history.revision, history.historyRevision);
      return updates && current.applied(history.revision, updates);
    });
    if (!caughtUp) {
      await this.load();
      return;
    }
    this.swapIn(caughtUp);
    this.events.applied?.('log', caughtUp.revision - current.revision);
  }

  private async load(): Promise<ConfigSnapshot> {
    const started = Date.now();
    const rows = await readCurrentRows(this.dataSource);
    const snapshot = new ConfigSnapshot(rows);
    this.swapIn(snapshot);
    this.events.reloaded?.(Date.now() - started, snapshot);
    return snapshot;
  }

  private swapIn(snapshot: ConfigSnapshot): void {
    this.snapshot = snapshot;
    this.notify(this.listeners, snapshot);
  }

  private notify<T>(listeners: ReadonlySet<(value: T) => void>, value: T): void {
    for (const listener of listeners) {
      try {
        listener(value);
      } catch (error) {
        this.logger.log('error', 'a configuration change listener failed', { error: (error as Error).message });
      }
    }
  }
}
