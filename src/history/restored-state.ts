import { EntityManager } from 'typeorm';
import type { AuditedEntityType } from '../audit/record-audit';
import { BadInputError, ConflictError } from '../common/errors';
import { Library } from '../library/library.entity';
import { SettingDefinition } from '../settings/setting-definition.entity';
import { SettingValue } from '../settings/setting-value.entity';
import { cleanValue } from '../settings/settings.service';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { cleanServer } from '../smtp-server/smtp-server.service';
import { assertLinksExist, describeRow, referrerOf } from './row-links';

type Row = Record<string, unknown>;

/**
 * An old state is written only if a write of it through the API would pass today: what it refers
 * to still exists, no chain closes a loop, a library's code is free, a setting value still fits
 * its definition. Field checks are the services' own, so the rules cannot drift apart. `row` is
 * completed in place with what the checks normalise.
 */
export async function checkRestored(manager: EntityManager, type: AuditedEntityType, row: Row, revision: number): Promise<void> {
  await assertLinksExist(manager, type, row, revision);
  const unfit = (field: string, reason: string) =>
    new BadInputError(field, `${describeRow(manager, type, row)} cannot go back to its state before revision ${revision}: ${reason}`);
  if (type === 'SmtpServer') {
    Object.assign(row, cleanServer(row as unknown as SmtpServer));
    if (await closesLoop(manager, row as unknown as SmtpServer)) throw unfit('nextServerId', 'its chain of next servers would lead back to it');
  }
  if (type === 'Library') {
    const holder = await manager.findOneBy(Library, { code: row.code as string });
    if (holder && holder.id !== row.id) throw unfit('code', `its code is used by ${describeRow(manager, 'Library', holder as unknown as Row)} now`);
  }
  if (type === 'SettingValue') {
    const definition = await manager.findOneByOrFail(SettingDefinition, { key: row.key as string });
    if (!definition.allowedScopes.includes(row.scope as SettingValue['scope'])) {
      throw unfit('scope', `${definition.key} can be set only at ${definition.allowedScopes.join(', ')} scope now`);
    }
    Object.assign(row, await cleanValue(manager, definition, String(row.value ?? '')));
    const holder = await manager.findOneBy(SettingValue, { key: row.key as string, scopeKey: row.scopeKey as string });
    if (holder && holder.id !== row.id) {
      const now = holder as unknown as Row;
      throw new ConflictError(`${describeRow(manager, 'SettingValue', now)} has been set since revision ${revision}; revert the later changes first`, {
        entity: referrerOf(manager, 'SettingValue', now),
      });
    }
  }
}

/** D10: following next servers from this one, with its restored link, must not come back to it. */
async function closesLoop(manager: EntityManager, server: SmtpServer): Promise<boolean> {
  if (server.nextServerId === null || server.nextServerId === undefined) return false;
  const links = await manager.find(SmtpServer, { select: { id: true, nextServerId: true } });
  const next = new Map(links.map((s) => [s.id, s.nextServerId]));
  next.set(server.id, server.nextServerId);
  const seen = new Set<number>();
  for (let current: number | null = server.nextServerId; current !== null; current = next.get(current) ?? null) {
    if (current === server.id) return true;
    // a loop that does not pass through this server is not this write's doing
    if (seen.has(current)) return false;
    seen.add(current);
  }
  return false;
}
