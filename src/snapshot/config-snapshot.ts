import { Department } from '../department/department.entity';
import { Library } from '../library/library.entity';
import { MailSnapshot } from '../mail/resolve-mail-config';
import { SettingDefinition } from '../settings/setting-definition.entity';
import { SettingValue } from '../settings/setting-value.entity';
import { SettingScope } from '../settings/setting.enums';
import { SmtpServer } from '../smtp-server/smtp-server.entity';

export interface SnapshotRows {
  revision: number;
  servers: SmtpServer[];
  libraries: Library[];
  departments: Department[];
  definitions: SettingDefinition[];
  values: SettingValue[];
}

function groupBy<K, T>(rows: T[], key: (row: T) => K | null): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const row of rows) {
    const k = key(row);
    if (k === null) continue;
    const group = groups.get(k);
    if (group) group.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}

const NONE: SettingValue[] = [];

/**
 * Everything the mail resolution reads, indexed in memory at one revision of the database. It is
 * immutable: a reload builds a new snapshot and swaps it in, so a request never sees half of one.
 */
export class ConfigSnapshot {
  readonly revision: number;
  readonly servers: ReadonlyMap<number, SmtpServer>;
  readonly libraries: ReadonlyMap<number, Library>;
  readonly departments: ReadonlyMap<number, Department>;
  readonly definitions: ReadonlyMap<string, SettingDefinition>;
  private readonly globalValues: SettingValue[];
  private readonly libraryValues: Map<number, SettingValue[]>;
  private readonly departmentValues: Map<number, SettingValue[]>;

  constructor(rows: SnapshotRows) {
    this.revision = rows.revision;
    this.servers = new Map(rows.servers.map((s) => [s.id, s]));
    this.libraries = new Map(rows.libraries.map((l) => [l.id, l]));
    this.departments = new Map(rows.departments.map((d) => [d.id, d]));
    this.definitions = new Map(rows.definitions.map((d) => [d.key, d]));
    this.globalValues = rows.values.filter((v) => v.scope === SettingScope.GLOBAL);
    this.libraryValues = groupBy(rows.values.filter((v) => v.scope === SettingScope.LIBRARY), (v) => v.libraryId);
    this.departmentValues = groupBy(rows.values.filter((v) => v.scope === SettingScope.DEPARTMENT), (v) => v.departmentId);
  }

  get size(): { servers: number; libraries: number; departments: number; values: number } {
    return {
      servers: this.servers.size,
      libraries: this.libraries.size,
      departments: this.departments.size,
      values: this.globalValues.length + [...this.libraryValues.values(), ...this.departmentValues.values()].reduce((n, g) => n + g.length, 0),
    };
  }

  mailSnapshot(library: Library, department: Department | null): MailSnapshot<SmtpServer> {
    return {
      library,
      department,
      server: (id) => this.servers.get(id),
      definition: (key) => this.definitions.get(key),
      values: [
        ...(department ? this.departmentValues.get(department.id) ?? NONE : NONE),
        ...(this.libraryValues.get(library.id) ?? NONE),
        ...this.globalValues,
      ],
    };
  }

  /** Library and department lookups in the shape the scope-target check expects. */
  targetLoaders() {
    return {
      libraryById: { load: async (id: number) => this.libraries.get(id) ?? null },
      departmentById: { load: async (id: number) => this.departments.get(id) ?? null },
    };
  }
}
