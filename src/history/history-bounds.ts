import { EntityManager } from 'typeorm';
import { BadInputError } from '../common/errors';

/** The `at` argument of every question that can be asked about the past. */
export const AT_DESCRIPTION =
  'Answer with the configuration in force at this moment, everything nested included; at or after the latest change, the current one. Not before the oldest moment kept (CONFIG_HISTORY_DAYS)';

/** How far back the change log reaches, and where the configuration is now. */
export interface HistoryBounds {
  /** The configuration's current revision. */
  revision: number;
  /** Row images are complete for every revision after this one. */
  historyRevision: number;
  /** The oldest moment the configuration can be rebuilt for; null before any history was kept. */
  historySince: Date | null;
}

/** A moment as both drivers store datetime(3): UTC, without a zone suffix, so it compares as stored. */
export function sqlDateTime(moment: Date): string {
  return moment.toISOString().replace('T', ' ').replace('Z', '');
}

/** A datetime column as a driver hands it back: a Date from MySQL (timezone Z), UTC text from SQLite. */
export function dateFromSql(value: Date | string | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`);
}

export async function readHistoryBounds(manager: EntityManager): Promise<HistoryBounds> {
  const rows: Array<{ revision: number | string; historyRevision: number | string; historySince: Date | string | null }> = await manager.query(
    'SELECT revision, historyRevision, historySince FROM config_revision WHERE id = 1',
  );
  const row = rows[0];
  return {
    revision: Number(row?.revision ?? 0),
    historyRevision: Number(row?.historyRevision ?? 0),
    historySince: dateFromSql(row?.historySince),
  };
}

/** BAD_USER_INPUT on `at` naming the oldest moment there is (also as `extensions.oldest`), for a moment the change log no longer reaches. */
export function beforeHistory(bounds: HistoryBounds): BadInputError {
  const oldest = bounds.historySince?.toISOString() ?? null;
  const error = new BadInputError('at', `at is before the oldest moment the configuration history reaches (${oldest ?? 'none yet'}); see CONFIG_HISTORY_DAYS`);
  (error.extensions as Record<string, unknown>).oldest = oldest;
  return error;
}

export function requireWithinHistory(bounds: HistoryBounds, at: Date): void {
  if (!bounds.historySince || at.getTime() < bounds.historySince.getTime()) throw beforeHistory(bounds);
}

/**
 * The revision in force at `at`: the highest one with an entry recorded at or before it, and at
 * least the revision history starts from (its entries may be pruned, or older than the log).
 */
export async function revisionInForce(manager: EntityManager, at: Date, bounds: HistoryBounds): Promise<number> {
  const rows: Array<{ revision: number | string | null }> = await manager.query(
    'SELECT MAX(revision) AS revision FROM audit_entry WHERE revision IS NOT NULL AND at <= ?',
    [sqlDateTime(at)],
  );
  return Math.max(Number(rows[0]?.revision ?? 0), bounds.historyRevision);
}
