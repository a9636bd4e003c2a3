import { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import type { AuditedEntityType } from '../audit/record-audit';
import { Department } from '../department/department.entity';
import { Library } from '../library/library.entity';
import { SettingDefinition } from '../settings/setting-definition.entity';
import { SettingValue } from '../settings/setting-value.entity';
import { SmtpServer } from '../smtp-server/smtp-server.entity';

/** A row as the change log keeps it: every column by property name, dates as ISO strings. */
export type RowImage = Record<string, unknown>;
export type ConfigRow = SmtpServer | Library | Department | SettingDefinition | SettingValue;

export const CONFIG_ENTITIES: Record<AuditedEntityType, EntityTarget<ObjectLiteral>> = {
  Department,
  Library,
  SettingDefinition,
  SettingValue,
  SmtpServer,
};

/** Shown in an image instead of a secret the write set or replaced; the secret itself is never kept. */
export const SECRET_MARK = '[changed]';
const SECRET_COLUMNS: Partial<Record<AuditedEntityType, readonly string[]>> = { SmtpServer: ['password'] };

export function secretColumnsOf(type: AuditedEntityType): readonly string[] {
  return SECRET_COLUMNS[type] ?? [];
}

function metadataOf(dataSource: DataSource, type: AuditedEntityType) {
  return dataSource.getMetadata(CONFIG_ENTITIES[type]);
}

/** The primary key's property: `key` for setting definitions, `id` for the rest. */
export function keyPropertyOf(dataSource: DataSource, type: AuditedEntityType): string {
  return metadataOf(dataSource, type).primaryColumns[0].propertyName;
}

/** Every column of `row`, secrets included: for this process only, never stored as is. */
export function imageOf(dataSource: DataSource, type: AuditedEntityType, row: object): RowImage {
  const values = row as Record<string, unknown>;
  const image: RowImage = {};
  for (const column of metadataOf(dataSource, type).columns) {
    const value = values[column.propertyName];
    image[column.propertyName] = value instanceof Date ? value.toISOString() : Array.isArray(value) ? [...(value as unknown[])] : (value ?? null);
  }
  return image;
}

/**
 * The images as the log stores them. A secret appears only where the write changed it: as the
 * mark where one was (before) or is (after) set, null where there was none; an unchanged secret
 * is left out, so replaying the log keeps whatever the row had.
 */
export function storedImages(type: AuditedEntityType, before: RowImage | null, after: RowImage | null): [RowImage | null, RowImage | null] {
  const mask = (image: RowImage | null, changed: readonly string[]) => {
    if (!image) return null;
    const masked = { ...image };
    for (const column of secretColumnsOf(type)) {
      if (changed.includes(column)) masked[column] = image[column] === null || image[column] === undefined ? null : SECRET_MARK;
      else delete masked[column];
    }
    return masked;
  };
  const changed = secretColumnsOf(type).filter((column) => (before?.[column] ?? null) !== (after?.[column] ?? null));
  return [mask(before, changed), mask(after, changed)];
}

/** A row rebuilt from an image, typed as the entity (dates revived), so it reads like a loaded one. */
export function rowFromImage<T extends ConfigRow>(dataSource: DataSource, type: AuditedEntityType, image: RowImage): T {
  const metadata = metadataOf(dataSource, type);
  const row = metadata.create() as Record<string, unknown>;
  for (const column of metadata.columns) {
    if (!(column.propertyName in image)) continue;
    const value = image[column.propertyName];
    row[column.propertyName] = column.type === 'datetime' && typeof value === 'string' ? new Date(value) : Array.isArray(value) ? [...value] : value;
  }
  return row as T;
}
