import { EntityManager, QueryFailedError } from 'typeorm';
import { AuditEntry } from '../audit/audit-entry.entity';
import type { AuditedEntityType } from '../audit/record-audit';
import { BadInputError, ConflictError, InUseError } from '../common/errors';
import { Actor, WriteScope } from '../database/transaction';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { DESTINATION_FIELDS } from '../smtp-server/smtp-server.service';
import { checkRestored } from './restored-state';
import { CONFIG_ENTITIES, ConfigRow, imageOf, keyPropertyOf, RowImage, rowFromImage, SECRET_MARK, secretColumnsOf } from './row-image';
import { describeRow, keyOf, referrerOf, referrersOf } from './row-links';

type Row = Record<string, unknown>;

/** Columns every write sets for itself; a revert moves them forward, never back. */
const BOOKKEEPING = new Set(['version', 'createdAt', 'updatedAt', 'updatedBy']);

export const REVERT_ACTION = 'revertChange';

/**
 * Undoes the entries of one revision, one at a time and newest first (so a row a revision
 * created and then pointed at is let go of before it is deleted), inside the revert's own write.
 * Each row must still be as the revision left it; the first refusal throws, and the write runner
 * rolls back everything done before it.
 */
export class RevisionUndo {
  readonly notices: string[] = [];
  /** Rows an earlier (newer) entry of this revision already put back: their state is the revert's own. */
  private readonly touched = new Set<string>();
  private recorded = 0;

  constructor(
    private readonly manager: EntityManager,
    private readonly write: WriteScope,
    private readonly actor: Actor,
    private readonly revision: number,
  ) {}

  async undo(entry: AuditEntry): Promise<void> {
    const type = entry.entityType as AuditedEntityType;
    const [before, after] = [entry.before, entry.after];
    const key = keyOf(this.manager, type, (after ?? before) as Row);
    const current = (await this.manager.findOneBy(CONFIG_ENTITIES[type], { [keyPropertyOf(this.manager.connection, type)]: key })) as Row | null;
    const place = `${type}:${key}`;
    if (!this.touched.has(place)) this.assertAsLeft(type, after, current);
    this.touched.add(place);
    if (!before) await this.undoCreate(type, current as Row);
    else if (!current) await this.reinsert(type, before);
    else await this.restore(type, before, current);
  }

  /** The entries this revert wrote, with its revision; none when nothing had to change. */
  async written(): Promise<AuditEntry[]> {
    if (this.recorded === 0) return [];
    const rows: Array<{ revision: number | string }> = await this.manager.query('SELECT revision FROM config_revision WHERE id = 1');
    return this.manager.find(AuditEntry, { where: { revision: Number(rows[0].revision) }, order: { id: 'ASC' } });
  }

  /** CONFLICT unless the row is exactly as the revision left it: same version of the same row, or still gone. */
  private assertAsLeft(type: AuditedEntityType, after: RowImage | null, current: Row | null): void {
    const refuse = (row: Row, what: string) => {
      throw this.conflict(type, row, `${describeRow(this.manager, type, row)} ${what}; revert the later changes first`);
    };
    const since = `since revision ${this.revision}`;
    if (after === null) {
      if (current) refuse(current, `was deleted by revision ${this.revision} and exists again ${since}`);
      return;
    }
    if (!current) return refuse(after, `has been deleted ${since}`);
    const now = imageOf(this.manager.connection, type, current);
    // a database may hand a deleted row's id to a new row: its own createdAt tells it apart
    if (now.createdAt !== after.createdAt) refuse(current, `has been deleted and created again ${since}`);
    if (Number(now.version) !== Number(after.version)) {
      refuse(current, `has changed ${since} (it is at version ${now.version}, the revision left version ${after.version})`);
    }
  }

  private conflict(type: AuditedEntityType, row: Row, message: string): ConflictError {
    return new ConflictError(message, { entity: referrerOf(this.manager, type, row) });
  }

  /** Undoing a create deletes the row, refused while anything refers to it (as the services' deletes are). */
  private async undoCreate(type: AuditedEntityType, current: Row): Promise<void> {
    if (current.builtIn === true) throw new BadInputError('key', `${describeRow(this.manager, type, current)} is built in and cannot be deleted`);
    const usedBy = await referrersOf(this.manager, type, current);
    if (usedBy.length > 0) throw new InUseError(describeRow(this.manager, type, current), usedBy);
    const key = keyOf(this.manager, type, current);
    const result = await this.manager.delete(CONFIG_ENTITIES[type], { [keyPropertyOf(this.manager.connection, type)]: key, version: current.version });
    if (!result.affected) throw this.changedMeanwhile(type, current);
    await this.record(type, current, null);
  }

  /**
   * Undoing a delete inserts the row again with its old id (a definition with its key) at the
   * version after the one it was deleted at: versions never repeat for an id, so an
   * expectedVersion read before the delete cannot pass, and the revision that created the row
   * can no longer be reverted behind the restored one's back.
   */
  private async reinsert(type: AuditedEntityType, before: RowImage): Promise<void> {
    const row = rowFromImage<ConfigRow>(this.manager.connection, type, before) as unknown as Row;
    for (const column of secretColumnsOf(type)) {
      if (row[column] === SECRET_MARK)
        this.notices.push(`${describeRow(this.manager, type, row)} was restored without its password: passwords are not kept in history; enter it again.`);
      row[column] = null;
    }
    Object.assign(row, { version: Number(before.version) + 1, updatedAt: new Date(), updatedBy: this.actor.sub });
    await checkRestored(this.manager, type, row, this.revision);
    try {
      await this.manager.insert(CONFIG_ENTITIES[type], row);
    } catch (error) {
      // the checks above read before another instance's insert committed: its key or code now holds
      if (isUniqueViolation(error)) throw this.changedMeanwhile(type, row);
      throw error;
    }
    await this.record(type, null, row);
  }

  /** Undoing an update writes back the fields the revision changed, as a new version of the row. */
  private async restore(type: AuditedEntityType, before: RowImage, current: Row): Promise<void> {
    const target = rowFromImage<ConfigRow>(this.manager.connection, type, before) as unknown as Row;
    const now = imageOf(this.manager.connection, type, current);
    const skipped = new Set([...BOOKKEEPING, keyPropertyOf(this.manager.connection, type), ...secretColumnsOf(type)]);
    const patch: Row = {};
    for (const [field, value] of Object.entries(before)) {
      if (!skipped.has(field) && JSON.stringify(value) !== JSON.stringify(now[field])) patch[field] = target[field];
    }
    if (type === 'SmtpServer') this.restorePassword(current as unknown as SmtpServer, before, patch);
    if (Object.keys(patch).length === 0) return;
    const restored = { ...current, ...patch };
    await checkRestored(this.manager, type, restored, this.revision);
    for (const field of Object.keys(patch)) patch[field] = restored[field];
    const was = { ...current };
    await this.updateVersioned(type, current, patch);
    await this.record(type, was, current);
  }

  /**
   * A password is never in history (only that it changed), so the server keeps the one it has,
   * except where the revert moves it to another destination (D12: then it is cleared, as an
   * update would) or the revision set the first password (then "none" is the old state).
   */
  private restorePassword(current: SmtpServer, before: RowImage, patch: Row): void {
    const old = before.password;
    if (old === null && current.password) patch.password = null;
    const kept = 'password' in patch ? Boolean(patch.password) : Boolean(current.password);
    const moved = DESTINATION_FIELDS.filter((field) => field in patch);
    // named as it will be after the revert, which is the name its reader sees
    const server = describeRow(this.manager, 'SmtpServer', { ...current, ...patch });
    if (kept && moved.length > 0) {
      patch.password = null;
      this.notices.push(
        `The stored password of ${server} was cleared because ${moved.join(', ')} changed; enter it again to send it to the restored destination.`,
      );
    } else if (old === SECRET_MARK) {
      this.notices.push(
        kept
          ? `${server} keeps its current password: passwords are not kept in history, so the one it had before revision ${this.revision} cannot be restored; enter it again if it should change.`
          : `${server} has no password: passwords are not kept in history, so the one it had before revision ${this.revision} cannot be restored; enter it again.`,
      );
    }
  }

  /** The version is compared in the UPDATE itself (D10), so a writer on another instance is caught too. */
  private async updateVersioned(type: AuditedEntityType, current: Row, patch: Row): Promise<void> {
    const set = { ...patch, version: Number(current.version) + 1, updatedAt: new Date(), updatedBy: this.actor.sub };
    const where = { [keyPropertyOf(this.manager.connection, type)]: keyOf(this.manager, type, current), version: current.version };
    const result = await this.manager.update(CONFIG_ENTITIES[type], where, set);
    if (!result.affected) throw this.changedMeanwhile(type, current);
    Object.assign(current, set);
  }

  private changedMeanwhile(type: AuditedEntityType, row: Row): ConflictError {
    return this.conflict(type, row, `${describeRow(this.manager, type, row)} was changed by someone else while the revert ran; try again`);
  }

  private async record(type: AuditedEntityType, before: Row | null, after: Row | null): Promise<void> {
    const row = (after ?? before) as Row;
    const libraryId = type === 'Library' ? row.id : type === 'Department' || type === 'SettingValue' ? row.libraryId : null;
    await this.write.record({
      actor: this.actor.sub,
      action: REVERT_ACTION,
      entityType: type,
      entityId: keyOf(this.manager, type, row),
      libraryId: (libraryId as number | null) ?? null,
      before,
      after,
      secretFields: secretColumnsOf(type),
    });
    this.recorded += 1;
  }
}

function isUniqueViolation(error: unknown): boolean {
  const code = error instanceof QueryFailedError ? (error.driverError as { code?: string } | undefined)?.code : undefined;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
