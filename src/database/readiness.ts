import { DataSource } from 'typeorm';
import { DEFAULT_DATABASE_TIMEOUTS } from '../config';
import { statementTimeoutsOf, withinMs } from './statement-timeouts';

/**
 * The database part of /readyz: reachable, and no pending migrations. The whole probe takes at
 * most DB_CHECK_TIMEOUT_MS, so a hung database makes the gateway "not ready" quickly instead of
 * keeping the orchestrator's probe waiting.
 */
export async function probeDatabase(dataSource: DataSource): Promise<{ database: string; migrations?: string }> {
  const checkMs = (statementTimeoutsOf(dataSource) ?? DEFAULT_DATABASE_TIMEOUTS).checkMs;
  const started = Date.now();
  try {
    await withinMs(dataSource, checkMs, (manager) => manager.query('SELECT 1'));
  } catch (error) {
    return { database: `unreachable: ${error instanceof Error ? error.message.split('\n')[0] : 'error'}` };
  }
  // showMigrations uses connections of its own, bounded by the query timeout; only the wait is cut here.
  const pending = dataSource.showMigrations();
  pending.catch(() => undefined);
  const left = Math.max(checkMs - (Date.now() - started), 1);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), left);
  });
  try {
    const outcome = await Promise.race([pending, late]);
    if (outcome === 'late') return { database: `unreachable: the database did not answer within ${checkMs} ms` };
    return { database: 'ok', migrations: outcome ? 'pending' : 'ok' };
  } catch (error) {
    return { database: `unreachable: ${error instanceof Error ? error.message.split('\n')[0] : 'error'}` };
  } finally {
    clearTimeout(timer);
  }
}
