import { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { Audited } from '../common/audited.entity';
import { ApiError, isDatabaseUnavailable, ServiceUnavailableError, staleVersion, WriteOutcomeUnknownError } from '../common/errors';
import { CommitOutcomeUnknownError, statementTimeoutsOf } from './statement-timeouts';
import type { AuditRecord } from '../audit/record-audit';
import { ChangeRecorder, ChangeSet } from '../history/change-log';

/** What a write records of itself: each row it changed, into the change log (which moves the revision). */
export interface WriteScope {
  record(record: AuditRecord): Promise<void>;
}

/**
 * Runs one mutation in one transaction. Writes are also queued one at a time per process:
 * the SQLite driver shares a single connection, and the admin write rate is tiny anyway.
 *
 * A write records every row it changes (WriteScope.record); that moves the revision and is what
 * every instance, this one included, applies to its snapshot, so a change not recorded would be
 * seen by no one. A write that fails rolls back, revision and log included.
 */
export class WriteRunner {
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * @param onCommit runs after each committed write that changed something, with its changes (the
   *   configuration snapshot applies them there), and with null when a COMMIT's outcome is unknown
   */
  constructor(
    private readonly dataSource: DataSource,
    private readonly onCommit: (changes: ChangeSet | null) => Promise<void> = async () => {},
  ) {}

  run<T>(work: (manager: EntityManager, write: WriteScope) => Promise<T>): Promise<T> {
    const queued = Date.now();
    const result = this.queue.then(async () => {
      this.refuseAfterLongWait(queued);
      // The work's result (the entity written) is known before COMMIT, so an uncertain COMMIT can name it.
      const produced: { value?: T; changes?: ChangeSet | null } = {};
      try {
        await this.dataSource.transaction(async (manager) => {
          const recorder = await ChangeRecorder.begin(manager);
          produced.value = await work(manager, recorder);
          produced.changes = await recorder.finish();
        });
      } catch (error) {
        throw await this.asWriteError(error, produced.value);
      }
      if (produced.changes) await this.onCommit(produced.changes);
      return produced.value as T;
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Writes wait their turn; behind a write cut by the query timeout, waiting longer than that
   * timeout means the database is stuck, so the write is refused before it starts (nothing done).
   */
  private refuseAfterLongWait(queued: number): void {
    const timeouts = statementTimeoutsOf(this.dataSource);
    if (timeouts && Date.now() - queued > timeouts.queryMs) throw new ServiceUnavailableError();
  }

  private async asWriteError(error: unknown, produced: unknown): Promise<unknown> {
    if (error instanceof CommitOutcomeUnknownError) {
      // The change may be there: the snapshot looks (bounded by the check timeout, stale if it
      // cannot), so a client re-reading on this instance right away sees what the database holds.
      await this.onCommit(null).catch(() => undefined);
      return new WriteOutcomeUnknownError(idOf(produced));
    }
    // Cut before COMMIT: the database rolls the transaction back, so "nothing was changed" holds.
    if (!(error instanceof ApiError) && isDatabaseUnavailable(error)) return new ServiceUnavailableError();
    return error;
  }
}

function idOf(value: unknown): string | null {
  const id = value !== null && typeof value === 'object' ? (value as { id?: unknown }).id : undefined;
  return typeof id === 'number' || typeof id === 'string' ? String(id) : null;
}

export interface Actor {
  sub: string;
}

export function stampNew<T extends Audited>(row: T, actor: Actor, now: Date): T {
  row.version = 1;
  row.createdAt = now;
  row.updatedAt = now;
  row.updatedBy = actor.sub;
  return row;
}

/**
 * Saves changed columns of an existing row if nobody changed it meanwhile (D10): the version
 * is compared in the UPDATE itself, so a concurrent writer on another instance is caught too.
 */
export async function saveVersioned<T extends Audited & { id: number } & ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  typeName: string,
  row: T,
  changes: Partial<T>,
  actor: Actor,
  expectedVersion: number | null | undefined,
): Promise<T> {
  if (expectedVersion !== null && expectedVersion !== undefined && expectedVersion !== row.version) {
    throw staleVersion(typeName, row.id, expectedVersion, row.version);
  }
  const now = new Date();
  const patch = { ...changes, version: row.version + 1, updatedAt: now, updatedBy: actor.sub } as Partial<T>;
  const result = await manager
    .createQueryBuilder()
    .update(entity)
    .set(patch as never)
    .where('id = :id AND version = :version', { id: row.id, version: row.version })
    .execute();
  if (result.affected === 0) throw staleVersion(typeName, row.id, row.version, await committedVersion(manager, entity, row.id));
  return Object.assign(row, patch);
}

/**
 * The version that beat this write. On MySQL a plain SELECT would read the transaction's
 * REPEATABLE READ snapshot (taken before the winner committed) and report the old version; a
 * locking read sees the latest committed row. SQLite has one writer at a time, so a plain read is current.
 */
async function committedVersion<T extends ObjectLiteral>(manager: EntityManager, entity: EntityTarget<T>, id: number): Promise<number> {
  const query = manager.createQueryBuilder(entity, 'row').select('row.version', 'version').where('row.id = :id', { id });
  if (manager.connection.options.type === 'mysql') query.setLock('pessimistic_write');
  const current = await query.getRawOne<{ version: number | string }>();
  return current ? Number(current.version) : -1;
}

/** Which keys of an update input were given (omitted = unchanged, explicit null = cleared). */
export function given<I extends object>(input: I, key: keyof I): boolean {
  return Object.prototype.hasOwnProperty.call(input, key) && (input as Record<string, unknown>)[key as string] !== undefined;
}
