import { EntityManager } from 'typeorm';
import { AuditEntry } from '../audit/audit-entry.entity';
import { BadInputError } from '../common/errors';
import { Actor, WriteRunner } from '../database/transaction';
import { RevertResult } from './revert.types';
import { RevisionUndo } from './revision-undo';

/**
 * Undo of a configuration change: the before-images of one revision's entries written back as a
 * new revision, through the same write runner and checks as any write, all or nothing.
 */
export class RevertService {
  constructor(private readonly writes: WriteRunner) {}

  revert(revision: number, actor: Actor): Promise<RevertResult> {
    return this.writes.run(async (manager, write) => {
      const entries = await entriesToUndo(manager, revision);
      const undo = new RevisionUndo(manager, write, actor, revision);
      for (const entry of entries) await undo.undo(entry);
      return { entries: await undo.written(), notices: undo.notices };
    });
  }
}

/** The revision's entries, newest first; BAD_USER_INPUT naming `revision` when there is nothing that can be undone. */
async function entriesToUndo(manager: EntityManager, revision: number): Promise<AuditEntry[]> {
  // only a well-formed integer is ever repeated back (GraphQL's Int already refused anything else)
  if (!Number.isSafeInteger(revision) || revision < 1) throw new BadInputError('revision', 'revision must be a positive whole number');
  const rows: Array<{ revision: number | string; historyRevision: number | string }> = await manager.query(
    'SELECT revision, historyRevision FROM config_revision WHERE id = 1',
  );
  if (revision > Number(rows[0].revision)) throw new BadInputError('revision', `Revision ${revision} does not exist yet`);
  const pruned = new BadInputError('revision', `Revision ${revision} is older than the kept history (CONFIG_HISTORY_DAYS), so it cannot be reverted`);
  if (revision <= Number(rows[0].historyRevision)) throw pruned;
  const entries = await manager.find(AuditEntry, { where: { revision }, order: { id: 'DESC' } });
  if (entries.length === 0) throw new BadInputError('revision', `Revision ${revision} changed no configuration`);
  if (entries.some((entry) => entry.beforeJson === null && entry.afterJson === null)) throw pruned;
  return entries;
}
