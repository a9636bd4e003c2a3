import { DataSource } from 'typeorm';
import { Logger } from '../common/logger';
import { DEFAULT_DATABASE_TIMEOUTS } from '../config';
import { statementTimeoutsOf, withinMs } from '../database/statement-timeouts';
import { HealthStore } from '../health/health.store';
import type { Loaders } from '../loaders.type';
import { ConfigSnapshot } from '../snapshot/config-snapshot';
import { snapshotLoaders } from '../snapshot/snapshot-loaders';
import { readRevision, SnapshotStore } from '../snapshot/snapshot-store';

/**
 * Where the subscriptions learn that effective configurations may have changed, and what they
 * resolve them from. Watching starts with the first subscription and stops with the last one, so
 * a gateway nobody subscribes to runs no timer and no query for them.
 */
export interface ChangeFeed {
  /** Names the state answers are resolved at: under one token every answer stays the same. */
  token(): string;
  /** Reads of that state, shared by every resolution of one pass. */
  loaders(): Loaders;
  /** Calls `changed` whenever the token may have moved. */
  start(changed: () => void): void;
  stop(): void;
  /** This instance committed a write. */
  committed(): void;
}

/**
 * With the configuration snapshot: a new snapshot (a write here, another instance's write seen by
 * the refresh, a reload), `stale` turning on or off, or a server's health status changing.
 */
export class SnapshotFeed implements ChangeFeed {
  private stops: Array<() => void> = [];
  private memo: { snapshot: ConfigSnapshot; loaders: Loaders } | null = null;

  constructor(
    private readonly store: SnapshotStore,
    private readonly health: HealthStore,
  ) {}

  token(): string {
    return `${this.store.current?.generation ?? 0}:${this.store.stale ? 'stale' : 'fresh'}:${this.health.epoch}`;
  }

  loaders(): Loaders {
    const snapshot = this.store.current;
    if (!snapshot) throw new Error('the configuration snapshot is not loaded');
    if (this.memo?.snapshot !== snapshot) this.memo = { snapshot, loaders: snapshotLoaders(snapshot) };
    return this.memo.loaders;
  }

  start(changed: () => void): void {
    if (this.stops.length > 0) return;
    this.stops = [this.store.subscribe(() => changed()), this.store.onStaleChange(() => changed()), this.health.onChange(() => changed())];
  }

  stop(): void {
    for (const stop of this.stops) stop();
    this.stops = [];
  }

  /** The store reloads after every own write and tells its listeners. */
  committed(): void {}
}

/**
 * Without the snapshot (CONFIG_CACHE=false) there is nothing to listen to: the revision is read
 * every CONFIG_REFRESH_MS (one small query, only while someone subscribes) and after each write
 * of this instance. With CONFIG_REFRESH_MS=0 only this instance's writes are seen.
 */
export class PollingFeed implements ChangeFeed {
  private revision: number | null = null;
  private changed: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopHealth: (() => void) | null = null;
  private checking = false;
  private checkAgain = false;
  private failing = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly health: HealthStore,
    private readonly refreshMs: number,
    private readonly makeLoaders: () => Loaders,
    private readonly logger: Logger,
  ) {}

  token(): string {
    return `${this.revision ?? 'unread'}:${this.health.epoch}`;
  }

  loaders(): Loaders {
    return this.makeLoaders();
  }

  start(changed: () => void): void {
    if (this.changed) return;
    this.changed = changed;
    this.stopHealth = this.health.onChange(changed);
    void this.check();
    if (this.refreshMs > 0) {
      this.timer = setInterval(() => void this.check(), this.refreshMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.stopHealth?.();
    this.timer = null;
    this.stopHealth = null;
    this.changed = null;
  }

  committed(): void {
    if (this.changed) void this.check();
  }

  /** One read at a time; a request during a read (a commit after it began) reads once more after it. */
  private async check(): Promise<void> {
    if (this.checking) {
      this.checkAgain = true;
      return;
    }
    this.checking = true;
    try {
      do {
        this.checkAgain = false;
        await this.readRevision();
      } while (this.checkAgain && this.changed);
    } finally {
      this.checking = false;
    }
  }

  private async readRevision(): Promise<void> {
    try {
      const checkMs = (statementTimeoutsOf(this.dataSource) ?? DEFAULT_DATABASE_TIMEOUTS).checkMs;
      const revision = await withinMs(this.dataSource, checkMs, readRevision);
      this.failing = false;
      if (revision === this.revision) return;
      this.revision = revision;
      this.changed?.();
    } catch (error) {
      if (!this.failing) this.logger.log('warn', 'subscriptions cannot read the configuration revision', { error: (error as Error).message.split('\n')[0] });
      this.failing = true;
    }
  }
}
