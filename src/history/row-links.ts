import { EntityManager } from 'typeorm';
import type { AuditedEntityType } from '../audit/record-audit';
import { BadInputError, Referrer } from '../common/errors';
import { CONFIG_ENTITIES, keyPropertyOf } from './row-image';

/**
 * The references between configuration rows, as the foreign keys hold them: `field` is the
 * input field a client would have used to set the column, so errors name what a user knows.
 */
interface Link {
  from: AuditedEntityType;
  column: string;
  to: AuditedEntityType;
  field: string;
}

const LINKS: readonly Link[] = [
  { from: 'SmtpServer', column: 'nextServerId', to: 'SmtpServer', field: 'nextServerId' },
  { from: 'Library', column: 'smtpServerId', to: 'SmtpServer', field: 'smtpServerId' },
  { from: 'Department', column: 'libraryId', to: 'Library', field: 'libraryId' },
  { from: 'Department', column: 'smtpServerId', to: 'SmtpServer', field: 'smtpServerId' },
  { from: 'SettingValue', column: 'key', to: 'SettingDefinition', field: 'key' },
  { from: 'SettingValue', column: 'departmentId', to: 'Department', field: 'departmentId' },
  { from: 'SettingValue', column: 'libraryId', to: 'Library', field: 'libraryId' },
  { from: 'SettingValue', column: 'smtpServerId', to: 'SmtpServer', field: 'value' },
];

const LABELS: Record<AuditedEntityType, string> = {
  SmtpServer: 'SMTP server',
  Library: 'Library',
  Department: 'Department',
  SettingDefinition: 'Setting',
  SettingValue: 'Setting value',
};

type Row = Record<string, unknown>;

/** How a row is named to a person, as the services name referrers. */
export function nameOf(type: AuditedEntityType, row: Row): string {
  if (type === 'SettingDefinition') return String(row.key);
  if (type === 'SettingValue') return `${String(row.key)} (${String(row.scopeKey).toLowerCase()})`;
  return String(row.name);
}

export function keyOf(manager: EntityManager, type: AuditedEntityType, row: Row): number | string {
  return row[keyPropertyOf(manager.connection, type)] as number | string;
}

/** The entity as an error or a notice names it: `SMTP server 5 ("Relay")`. */
export function describeRow(manager: EntityManager, type: AuditedEntityType, row: Row): string {
  const key = keyOf(manager, type, row);
  return type === 'SettingDefinition' ? `${LABELS[type]} ${key}` : `${LABELS[type]} ${key} ("${nameOf(type, row)}")`;
}

export function referrerOf(manager: EntityManager, type: AuditedEntityType, row: Row): Referrer {
  return { type, id: String(keyOf(manager, type, row)), name: nameOf(type, row) };
}

export function labelOf(type: AuditedEntityType): string {
  return LABELS[type];
}

/** The rows that refer to this one now; a delete of a referenced row is IN_USE, as in the services. */
export async function referrersOf(manager: EntityManager, type: AuditedEntityType, row: Row): Promise<Referrer[]> {
  const key = keyOf(manager, type, row);
  const found: Referrer[] = [];
  for (const link of LINKS.filter((l) => l.to === type)) {
    const rows = await manager.find(CONFIG_ENTITIES[link.from], {
      where: { [link.column]: key },
      order: { [keyPropertyOf(manager.connection, link.from)]: 'ASC' },
    });
    found.push(...rows.map((r) => referrerOf(manager, link.from, r)));
  }
  return found;
}

/** Every row this one refers to must still exist; otherwise the old state is no longer valid (BAD_USER_INPUT naming the field). */
export async function assertLinksExist(manager: EntityManager, type: AuditedEntityType, row: Row, revision: number): Promise<void> {
  for (const link of LINKS.filter((l) => l.from === type)) {
    const target = row[link.column];
    if (target === null || target === undefined) continue;
    const exists = await manager.existsBy(CONFIG_ENTITIES[link.to], { [keyPropertyOf(manager.connection, link.to)]: target });
    if (!exists) {
      throw new BadInputError(
        link.field,
        `${describeRow(manager, type, row)} cannot go back to its state before revision ${revision}: ${link.field} names ${labelOf(link.to)} ${String(target)}, which has been deleted since`,
      );
    }
  }
}
