import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { VerifyResult } from '../mail/transport/verify-smtp-server';
import { CheckRecord, DerivedHealth, deriveHealth } from './derive-health';
import { ServerHealthStatus } from './health.enums';

/** Checks kept per server, in the database and in memory. */
export const KEPT_CHECKS = 100;
/**
 * Rows are read again this far below the highest id seen: on MySQL an insert that committed later
 * can have a smaller id than one already read.
 */
const REREAD_IDS = 200;

const NO_CHECKS: readonly CheckRecord[] = [];

interface CheckRow {
  id: number | string;
  server_id: number | string;
  checked_at: number | string;
  ok: number | boolean | string;
  reached_stage: string;
  error_code: string | null;
  response_code: number | string | null;
  enhanced_status: string | null;
  message: string | null;
  duration_ms: number | string;
}

function fromRow(row: CheckRow): CheckRecord {
  return {
    id: Number(row.id),
    serverId: Number(row.server_id),
    checkedAt: Number(row.checked_at),
    ok: row.ok === true || Number(row.ok) === 1,
    reachedStage: row.reached_stage,
    errorCode: row.error_code,
    responseCode: row.response_code === null ? null : Number(row.response_code),
    enhancedStatus: row.enhanced_status,
    message: row.message,
    durationMs: Number(row.duration_ms),
  };
}

/** UNKNOWN is what a server without checks reads as, so it is left out: the same statuses give the same fingerprint. */
function fingerprintOf(statuses: ReadonlyMap<number, ServerHealthStatus>): string {
  const known = [...statuses].filter(([, status]) => status !== ServerHealthStatus.UNKNOWN);
  const entries = known.sort(([a], [b]) => a - b).map(([id, status]) => `${id}=${status}`);
  return createHash('sha256').update(entries.join(',')).digest('base64url');
}

/**
 * The latest checks of every server, in memory, refreshed from the database. Health is not
 * configuration: it changes no revision; `epoch` changes whenever any server's status does, so
 * caches of answers that depend on it can be keyed by it. `fingerprint` names the statuses
 * themselves, the same on every instance that read the same checks (for ETags).
 */
export class HealthStore {
  private readonly checks = new Map<number, CheckRecord[]>();
  private statuses = new Map<number, ServerHealthStatus>();
  private maxId = 0;
  private epochValue = 0;
  private fingerprintValue = fingerprintOf(new Map());
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly now: () => number = Date.now,
  ) {}

  get epoch(): number {
    return this.epochValue;
  }

  get fingerprint(): string {
    return this.fingerprintValue;
  }

  /** Calls `listener` each time the epoch moves (some server's status changed). Returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(serverId: number): ServerHealthStatus {
    return this.statuses.get(serverId) ?? ServerHealthStatus.UNKNOWN;
  }

  health(serverId: number): DerivedHealth {
    return deriveHealth(this.history(serverId));
  }

  /** Newest first. */
  history(serverId: number): readonly CheckRecord[] {
    return this.checks.get(serverId) ?? NO_CHECKS;
  }

  async record(serverId: number, result: VerifyResult): Promise<CheckRecord> {
    const checkedAt = this.now();
    const ok = result.ok && result.reachedStage === 'DONE';
    await this.dataSource.query(
      'INSERT INTO smtp_check (server_id, checked_at, ok, reached_stage, error_code, response_code, enhanced_status, message, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [
        serverId,
        checkedAt,
        ok ? 1 : 0,
        result.reachedStage,
        result.errorCode,
        result.responseCode,
        result.enhancedStatus,
        result.message?.slice(0, 500) ?? null,
        Math.round(result.durationMs),
      ],
    );
    await this.prune(serverId);
    await this.refresh();
    return this.history(serverId)[0];
  }

  /** Reads the checks written since the last refresh, by any instance. */
  async refresh(): Promise<void> {
    const rows: CheckRow[] = await this.dataSource.query('SELECT * FROM smtp_check WHERE id > ? ORDER BY id', [Math.max(0, this.maxId - REREAD_IDS)]);
    const touched = new Set<number>();
    for (const row of rows) {
      const check = fromRow(row);
      this.maxId = Math.max(this.maxId, check.id);
      const list = this.checks.get(check.serverId) ?? [];
      if (list.some((c) => c.id === check.id)) continue;
      list.push(check);
      this.checks.set(check.serverId, list);
      touched.add(check.serverId);
    }
    for (const serverId of touched) {
      const list = this.checks.get(serverId) as CheckRecord[];
      list.sort((a, b) => b.id - a.id);
      list.length = Math.min(list.length, KEPT_CHECKS);
    }
    this.updateStatuses();
  }

  /** Forgets servers that no longer exist (their checks were deleted with them). */
  retain(serverIds: ReadonlySet<number>): void {
    for (const id of [...this.checks.keys()]) if (!serverIds.has(id)) this.checks.delete(id);
    this.updateStatuses();
  }

  private updateStatuses(): void {
    const next = new Map<number, ServerHealthStatus>();
    for (const [id, list] of this.checks) next.set(id, deriveHealth(list).status);
    const changed = next.size !== this.statuses.size || [...next].some(([id, status]) => this.statuses.get(id) !== status);
    this.statuses = next;
    if (!changed) return;
    this.epochValue++;
    this.fingerprintValue = fingerprintOf(next);
    for (const listener of this.listeners) listener();
  }

  private async prune(serverId: number): Promise<void> {
    const rows: Array<{ id: number | string }> = await this.dataSource.query(
      `SELECT id FROM smtp_check WHERE server_id = ? ORDER BY id DESC LIMIT 1 OFFSET ${KEPT_CHECKS - 1}`,
      [serverId],
    );
    if (rows.length > 0) await this.dataSource.query('DELETE FROM smtp_check WHERE server_id = ? AND id < ?', [serverId, Number(rows[0].id)]);
  }
}
