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
 * log: every entry keeps the row's images before and after (secrets only marked) under the
 * write's revision.
 *
 * The revision moves first thing in the write's transaction. On MariaDB that locks the revision
 * row until COMMIT, so every write of every instance takes that lock before any row's lock: one
 * order, so two writes cannot deadlock (a write that locked a row and then the revision could
 * meet one holding the revision and wanting that row), and a write's checks (references, loops,
 * a free code) read what every earlier write committed. A write that records nothing gives the
 * revision back before it commits, so no instance does any work for it.
 */
export class ChangeRecorder {
  private readonly changes: RowChange[] = [];

  private constructor(
    private readonly manager: EntityManager,
    private readonly revision: number,
  ) {}

  static async begin(manager: EntityManager): Promise<ChangeRecorder> {
    return new ChangeRecorder(manager, await nextRevision(manager));
  }

  async record(record: AuditRecord): Promise<void> {
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

  /** The write's changes, before its COMMIT; null (and the revision given back) when it recorded nothing. */
  async finish(): Promise<ChangeSet | null> {
    if (this.changes.length > 0) return { revision: this.revision, changes: [...this.changes] };
    await this.manager.query('UPDATE config_revision SET revision = revision - 1 WHERE id = 1');
    return null;
  }
}
