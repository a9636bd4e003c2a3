import { DataSource } from 'typeorm';
import { AUDITED_ENTITY_TYPES, AuditedEntityType } from '../audit/record-audit';
import type { SnapshotRows } from '../snapshot/config-snapshot';
import { CONFIG_ENTITIES, ConfigRow, keyPropertyOf, RowImage, rowFromImage } from './row-image';

/** One change of the log as undoing needs it: the row's image before the write (null: the write created it). */
export interface LoggedChange {
  revision: number;
  entityType: string;
  before: RowImage | null;
  after: RowImage | null;
}

/** An entry whose images were pruned: the configuration before it can no longer be rebuilt. */
export class HistoryPrunedError extends Error {
  constructor(readonly revision: number) {
    super(`the images of revision ${revision} were pruned`);
  }
}

type Table = Map<number | string, ConfigRow>;

const SOURCES: Record<AuditedEntityType, (rows: SnapshotRows) => readonly ConfigRow[]> = {
  Department: (rows) => rows.departments,
  Library: (rows) => rows.libraries,
  SettingDefinition: (rows) => rows.definitions,
  SettingValue: (rows) => rows.values,
  SmtpServer: (rows) => rows.servers,
};

/** A copy that reads like the row (same class, same values) but is another object. */
function cloneRow<T extends object>(row: T): T {
  return Object.assign(Object.create(Object.getPrototypeOf(row) as object) as T, row);
}

/**
 * The configuration's rows, copied from the current ones and walked back one logged change at a
 * time, newest first. A change is undone with its before image: none means the write created the
 * row, so it goes; otherwise the image's values are put back, and what the image leaves out (a
 * secret the write did not touch) keeps the value the row has.
 */
export class HistoricalRows {
  private readonly tables = new Map<AuditedEntityType, Table>();

  constructor(
    private readonly dataSource: DataSource,
    current: SnapshotRows,
  ) {
    for (const type of AUDITED_ENTITY_TYPES) {
      const key = keyPropertyOf(dataSource, type);
      this.tables.set(type, new Map(SOURCES[type](current).map((row) => [(row as unknown as Record<string, number | string>)[key], cloneRow(row)])));
    }
  }

  undo(change: LoggedChange): void {
    const type = change.entityType as AuditedEntityType;
    const table = this.tables.get(type);
    if (!table) return;
    const image = change.before ?? change.after;
    if (!image) throw new HistoryPrunedError(change.revision);
    const key = image[keyPropertyOf(this.dataSource, type)] as number | string;
    if (!change.before) {
      table.delete(key);
      return;
    }
    const restored = rowFromImage<ConfigRow>(this.dataSource, type, change.before) as unknown as Record<string, unknown>;
    const row = table.get(key) as unknown as Record<string, unknown> | undefined;
    if (row) {
      for (const property of Object.keys(change.before)) row[property] = restored[property];
      return;
    }
    // A row deleted since: what its image leaves out (a secret it never had) is empty.
    for (const column of this.dataSource.getMetadata(CONFIG_ENTITIES[type]).columns) restored[column.propertyName] ??= null;
    table.set(key, restored as unknown as ConfigRow);
  }

  rows(revision: number): SnapshotRows {
    const list = <T extends ConfigRow>(type: AuditedEntityType) => [...(this.tables.get(type) as Table).values()] as T[];
    return {
      revision,
      servers: list('SmtpServer'),
      libraries: list('Library'),
      departments: list('Department'),
      definitions: list('SettingDefinition'),
      values: list('SettingValue'),
    };
  }
}
