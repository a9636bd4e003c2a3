import { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { Audited } from '../common/audited.entity';
import { staleVersion } from '../common/errors';

/**
 * Runs one mutation in one transaction. Writes are also queued one at a time per process:
 * the SQLite driver shares a single connection, and the admin write rate is tiny anyway.
 */
export class WriteRunner {
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * @param onCommit runs after each committed write (the configuration snapshot reloads there when
   *   the revision moved; see recordAudit)
   */
  constructor(
    private readonly dataSource: DataSource,
    private readonly onCommit: () => Promise<void> = async () => {},
  ) {}

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const result = this.queue.then(async () => {
      const value = await this.dataSource.transaction(work);
      await this.onCommit();
      return value;
    });
    this.queue = result.catch(() => undefined);
    return result;
  }
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
  if (result.affected === 0) {
    const current = await manager.findOneBy(entity, { id: row.id } as never);
    throw staleVersion(typeName, row.id, row.version, (current as T | null)?.version ?? -1);
  }
  return Object.assign(row, patch);
}

/** Which keys of an update input were given (omitted = unchanged, explicit null = cleared). */
export function given<I extends object>(input: I, key: keyof I): boolean {
  return Object.prototype.hasOwnProperty.call(input, key) && (input as Record<string, unknown>)[key as string] !== undefined;
}
