import { EntityManager } from 'typeorm';
import { AuditRecord, insertAuditEntry } from '../audit/record-audit';
import { imageOf, keyPropertyOf, RowImage, storedImages } from './row-image';
import type { AuditedEntityType } from '../audit/record-audit';

/** One row as a write left it: its full image (secrets included, in this process only), or null when deleted. */
export interface RowChange {
  type: AuditedEntityType;
  key: number | string;
  after: RowImage | null;
}

/** What one committed write changed, at the revision it committed as. */
export interface ChangeSet {
  revision: number;
  changes: RowChange[];
}

/** Moves the configuration revision and reads it back; on MySQL the row stays locked until COMMIT, so revisions commit in order. */
async function nextRevision(manager: EntityManager): Promise<number> {
  await manager.query('UPDATE config_revision SET revision = revision + 1 WHERE id = 1');
  const rows: Array<{ revision: number | string }> = await manager.query('SELECT revision FROM config_revision WHERE id = 1');
  return Number(rows[0].revision);
}

/**
 * Records a write's row changes into the audit trail, which is also the configuration's change
 * log: the first change of a write gives it the next revision, and every entry keeps the row's
 * images before and after (secrets only marked). A write that records nothing changed nothing,
 * and keeps the revision, so no instance does any work for it.
 */
export class ChangeRecorder {
  private revision: number | null = null;
  private readonly changes: RowChange[] = [];

  constructor(private readonly manager: EntityManager) {}

  async record(record: AuditRecord): Promise<void> {
    this.revision ??= await nextRevision(this.manager);
    const dataSource = this.manager.connection;
    const before = record.before ? imageOf(dataSource, record.entityType, record.before) : null;
    const after = record.after ? imageOf(dataSource, record.entityType, record.after) : null;
    const [storedBefore, storedAfter] = storedImages(record.entityType, before, after);
    await insertAuditEntry(this.manager, record, {
      revision: this.revision,
      beforeJson: storedBefore && JSON.stringify(storedBefore),
      afterJson: storedAfter && JSON.stringify(storedAfter),
    });
    const key = ((after ?? before) as RowImage)[keyPropertyOf(dataSource, record.entityType)] as number | string;
    this.changes.push({ type: record.entityType, key, after });
  }

  /** Null when the write recorded nothing. */
  changeSet(): ChangeSet | null {
    return this.revision === null ? null : { revision: this.revision, changes: [...this.changes] };
  }
}
