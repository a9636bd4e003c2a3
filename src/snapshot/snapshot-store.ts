import { DataSource, EntityManager } from 'typeorm';
import { Logger } from '../common/logger';
import { DEFAULT_DATABASE_TIMEOUTS } from '../config';
import { statementTimeoutsOf, withinMs } from '../database/statement-timeouts';
import { Department } from '../department/department.entity';
import { Library } from '../library/library.entity';
import { SettingDefinition } from '../settings/setting-definition.entity';
import { SettingValue } from '../settings/setting-value.entity';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { ConfigSnapshot } from './config-snapshot';

export interface SnapshotEvents {
  revisionChecked(): void;
  reloaded(durationMs: number, snapshot: ConfigSnapshot): void;
  refreshFailed(error: Error): void;
}

export async function readRevision(manager: EntityManager): Promise<number> {
  const rows: Array<{ revision: number | string }> = await manager.query('SELECT revision FROM config_revision WHERE id = 1');
  return Number(rows[0]?.revision ?? 0);
}

/**
 * Keeps the configuration snapshot current: this instance reloads right after its own writes,
 * and every `refreshMs` asks the database (one small query) whether another instance wrote.
 * When the database is unreachable, or does not answer the check within DB_CHECK_TIMEOUT_MS
 * (a hung server), the last snapshot keeps answering, marked stale.
 */
export class SnapshotStore {
  private snapshot: ConfigSnapshot | null = null;
  private failing = false;
  private timer: NodeJS.Timeout | null = null;
  private loading: Promise<ConfigSnapshot> | null = null;
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

  reload(): Promise<ConfigSnapshot> {
    // Concurrent callers share one load; a load started after a write always sees that write.
    this.loading ??= this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  async refresh(): Promise<void> {
    try {
      const checkMs = (statementTimeoutsOf(this.dataSource) ?? DEFAULT_DATABASE_TIMEOUTS).checkMs;
      const revision = await withinMs(this.dataSource, checkMs, readRevision);
      this.events.revisionChecked?.();
      if (!this.snapshot || revision !== this.snapshot.revision) await this.reload();
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

  private async load(): Promise<ConfigSnapshot> {
    const started = Date.now();
    const read = async (manager: EntityManager) => ({
      revision: await readRevision(manager),
      servers: await manager.find(SmtpServer),
      libraries: await manager.find(Library),
      departments: await manager.find(Department),
      definitions: await manager.find(SettingDefinition),
      values: await manager.find(SettingValue),
    });
    // One transaction gives one consistent view (REPEATABLE READ on MySQL; SQLite has one connection).
    const rows = this.dataSource.options.type === 'mysql' ? await this.dataSource.transaction('REPEATABLE READ', read) : await read(this.dataSource.manager);
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
