import { ServerHealthStatus } from './health.enums';

/** One check of one server, as stored; `ok` only when the session reached DONE. */
export interface CheckRecord {
  id: number;
  serverId: number;
  checkedAt: number;
  ok: boolean;
  reachedStage: string;
  errorCode: string | null;
  responseCode: number | null;
  enhancedStatus: string | null;
  message: string | null;
  durationMs: number;
}

export interface DerivedHealth {
  status: ServerHealthStatus;
  checkedAt: number | null;
  lastOkAt: number | null;
  consecutiveFailures: number;
  lastError: CheckRecord | null;
}

/** Failures in a row before a server counts as DOWN: one lost connection is not an outage. */
export const FAILURES_FOR_DOWN = 2;

/** The health of a server from its checks, newest first. Pure, so the thresholds are table-tested. */
export function deriveHealth(newestFirst: readonly CheckRecord[]): DerivedHealth {
  let consecutiveFailures = 0;
  while (consecutiveFailures < newestFirst.length && !newestFirst[consecutiveFailures].ok) consecutiveFailures++;
  const lastOk = newestFirst.find((c) => c.ok) ?? null;
  let status = ServerHealthStatus.UNKNOWN;
  if (consecutiveFailures >= FAILURES_FOR_DOWN) status = ServerHealthStatus.DOWN;
  else if (lastOk) status = ServerHealthStatus.UP;
  return {
    status,
    checkedAt: newestFirst[0]?.checkedAt ?? null,
    lastOkAt: lastOk?.checkedAt ?? null,
    consecutiveFailures,
    lastError: newestFirst.find((c) => !c.ok) ?? null,
  };
}
