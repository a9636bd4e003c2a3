import { EntityManager } from 'typeorm';
import { Logger } from '../common/logger';
import { HistoryConfig } from '../config';
import { WriteRunner } from '../database/transaction';
import { dateFromSql, sqlDateTime } from './history-bounds';

const DAY_MS = 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

/** Where history starts after a pruning pass. */
export interface PrunedTo {
  revision: number;
  since: Date;
}

/**
 * Keeps CONFIG_HISTORY_DAYS of row images: on start and then hourly it empties, in one
 * transaction, the images of every revision recorded before the cutoff and moves the start of
 * history to the last of them. The audit entries themselves stay. Instances may prune at the same time: the start of history
 * is locked first and only ever moves forward, so the second one finds nothing left to do.
 */
export class HistoryPruner {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly writes: WriteRunner,
    private readonly config: HistoryConfig,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.runOnce(), PRUNE_EVERY_MS);
    this.timer.unref();
    this.runOnce();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.running) await this.running;
  }

  /** One pass; null when nothing was old enough. */
  prune(now = new Date()): Promise<PrunedTo | null> {
    const cutoff = new Date(now.getTime() - this.config.days * DAY_MS);
    // In the write queue: on SQLite a transaction beside a write's would become part of it.
    return this.writes.run((manager) => pruneBefore(manager, cutoff));
  }

  private runOnce(): void {
    if (this.running) return;
    this.running = this.prune()
      .then((pruned) => {
        if (pruned) this.logger.log('info', 'pruned configuration history', { revision: pruned.revision, since: pruned.since.toISOString() });
      })
      .catch((error: Error) => this.logger.log('warn', 'pruning configuration history failed', { error: error.message.split('\n')[0] }))
      .finally(() => {
        this.running = null;
      });
  }
}

async function pruneBefore(manager: EntityManager, cutoff: Date): Promise<PrunedTo | null> {
  // On MySQL the row stays locked until COMMIT: a second pruner waits here, then sees the moved start.
  const lock = manager.connection.options.type === 'mysql' ? ' FOR UPDATE' : '';
  const [state]: Array<{ historyRevision: number | string }> = await manager.query(`SELECT historyRevision FROM config_revision WHERE id = 1${lock}`);
  const from = Number(state?.historyRevision ?? 0);
  const [last]: Array<{ revision: number | string | null }> = await manager.query(
    'SELECT MAX(revision) AS revision FROM audit_entry WHERE revision IS NOT NULL AND at < ?',
    [sqlDateTime(cutoff)],
  );
  const revision = Number(last?.revision ?? 0);
  if (revision <= from) return null;
  const [time]: Array<{ at: Date | string }> = await manager.query('SELECT MAX(at) AS at FROM audit_entry WHERE revision = ?', [revision]);
  const since = dateFromSql(time.at) as Date;
  await manager.query('UPDATE audit_entry SET beforeJson = NULL, afterJson = NULL WHERE revision > ? AND revision <= ?', [from, revision]);
  await manager.query('UPDATE config_revision SET historyRevision = ?, historySince = ? WHERE id = 1', [revision, sqlDateTime(since)]);
  return { revision, since };
}
