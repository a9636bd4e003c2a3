import { EntityManager } from 'typeorm';
import { BadInputError } from '../common/errors';
import { AuditEntry, FieldChange } from './audit-entry.entity';

/** Shown instead of a secret's value; an entry says only that it changed. */
export const SECRET_CHANGED = '[changed]';
const BOOKKEEPING = new Set(['version', 'createdAt', 'updatedAt', 'updatedBy', 'notices']);

/** The kinds of record the trail covers, spelled as in entries (case matters). */
export const AUDITED_ENTITY_TYPES = ['Department', 'Library', 'SettingDefinition', 'SettingValue', 'SmtpServer'] as const;
export type AuditedEntityType = (typeof AUDITED_ENTITY_TYPES)[number];

/** Refuses a filter that can match nothing, rather than answering an empty list for a typo. */
export function checkEntityType(entityType: string | null | undefined): void {
  if (entityType === null || entityType === undefined) return;
  if (!(AUDITED_ENTITY_TYPES as readonly string[]).includes(entityType)) {
    throw new BadInputError('entityType', `entityType must be one of ${AUDITED_ENTITY_TYPES.join(', ')}`);
  }
}

export interface AuditRecord {
  actor: string;
  action: string;
  entityType: AuditedEntityType;
  entityId: string | number;
  libraryId?: number | null;
  before: object | null;
  after: object | null;
  secretFields?: readonly string[];
}

function display(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

export function diff(before: object | null, after: object | null, secretFields: readonly string[] = []): FieldChange[] {
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  const fields = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((f) => !BOOKKEEPING.has(f) && f !== 'id');
  const changes: FieldChange[] = [];
  for (const field of fields) {
    const was = display(b[field]);
    const now = display(a[field]);
    if (was === now) continue;
    if (secretFields.includes(field)) changes.push({ field, before: SECRET_CHANGED, after: SECRET_CHANGED });
    else changes.push({ field, before: was, after: now });
  }
  return changes;
}

/** Where an entry belongs in the configuration's change log; absent for actions that change no configuration. */
export interface ChangeLogPlace {
  revision: number;
  beforeJson: string | null;
  afterJson: string | null;
}

/** Writes one entry: who did what, with the fields that changed. */
export async function insertAuditEntry(manager: EntityManager, record: AuditRecord, place: ChangeLogPlace | null = null): Promise<void> {
  await manager.insert(AuditEntry, {
    at: new Date(),
    actor: record.actor,
    action: record.action,
    entityType: record.entityType,
    entityId: String(record.entityId),
    libraryId: record.libraryId ?? null,
    changesJson: JSON.stringify(diff(record.before, record.after, record.secretFields)),
    revision: place?.revision ?? null,
    beforeJson: place?.beforeJson ?? null,
    afterJson: place?.afterJson ?? null,
  });
}
