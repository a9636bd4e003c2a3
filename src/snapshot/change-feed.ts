import { EntityManager } from 'typeorm';
import { AUDITED_ENTITY_TYPES, AuditedEntityType } from '../audit/record-audit';
import type { ChangeSet } from '../history/change-log';
import { ConfigRow, keyPropertyOf, RowImage, rowFromImage, SECRET_MARK } from '../history/row-image';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import type { ConfigSnapshot, RowUpdate } from './config-snapshot';

/** Past this many entries a full load is cheaper than replaying them. */
export const MAX_REPLAYED_ENTRIES = 5_000;

interface FeedEntry {
  revision: number | string;
  entityType: string;
  beforeJson: string | null;
  afterJson: string | null;
}

/** An instance's own write, as row updates: its images are whole, secrets included. */
export function ownUpdates(snapshot: ConfigSnapshot, changes: ChangeSet, manager: EntityManager): RowUpdate[] {
  return changes.changes.map((change) => ({
    type: change.type,
    key: change.key,
    row: change.after ? rowFromImage<ConfigRow>(manager.connection, change.type, change.after) : null,
  }));
}

/**
 * The changes between `snapshot` and the revision `to`, read from the change log in the caller's
 * transaction, or null when they cannot be replayed (pruned, written around the log, too many).
 * A stored server image leaves the password out unless the write changed it; a changed one is
 * read from the row, as the database holds it at `to`.
 */
export async function changesSince(manager: EntityManager, snapshot: ConfigSnapshot, to: number, historyRevision: number): Promise<RowUpdate[] | null> {
  if (snapshot.revision < historyRevision || to <= snapshot.revision) return null;
  const entries: FeedEntry[] = await manager.query(
    'SELECT revision, entityType, beforeJson, afterJson FROM audit_entry WHERE revision > ? AND revision <= ? ORDER BY revision, id LIMIT ?',
    [snapshot.revision, to, MAX_REPLAYED_ENTRIES + 1],
  );
  if (entries.length > MAX_REPLAYED_ENTRIES || !coversEveryRevision(entries, snapshot.revision, to)) return null;
  const updates: RowUpdate[] = [];
  const passwords = new Map(snapshot.serverList.map((s) => [s.id, s.password]));
  // servers whose password a replayed write changed: their later rows read it from the table too
  const changedPasswords = new Set<number>();
  const unread: SmtpServer[] = [];
  for (const entry of entries) {
    const type = entry.entityType as AuditedEntityType;
    if (!(AUDITED_ENTITY_TYPES as readonly string[]).includes(type) || (entry.beforeJson === null && entry.afterJson === null)) return null;
    const image = JSON.parse((entry.afterJson ?? entry.beforeJson) as string) as RowImage;
    const key = image[keyPropertyOf(manager.connection, type)] as number | string;
    const row = entry.afterJson === null ? null : rowFromImage<ConfigRow>(manager.connection, type, image);
    if (row instanceof SmtpServer) {
      if (image.password === SECRET_MARK) changedPasswords.add(row.id);
      else if ('password' in image) {
        changedPasswords.delete(row.id);
        passwords.set(row.id, null);
      }
      if (changedPasswords.has(row.id)) unread.push(row);
      else row.password = passwords.get(row.id) ?? null;
    }
    updates.push({ type, key, row });
  }
  await readPasswords(manager, unread);
  return updates;
}

function coversEveryRevision(entries: readonly FeedEntry[], from: number, to: number): boolean {
  const seen = new Set(entries.map((e) => Number(e.revision)));
  for (let revision = from + 1; revision <= to; revision += 1) if (!seen.has(revision)) return false;
  return true;
}

async function readPasswords(manager: EntityManager, servers: SmtpServer[]): Promise<void> {
  if (servers.length === 0) return;
  const ids = [...new Set(servers.map((s) => s.id))];
  const rows: Array<{ id: number | string; password: string | null }> = await manager.query(
    `SELECT id, password FROM smtp_server WHERE id IN (${ids.map(() => '?').join(', ')})`,
    ids,
  );
  const byId = new Map(rows.map((r) => [Number(r.id), r.password]));
  for (const server of servers) server.password = byId.get(server.id) ?? null;
}
