import { Department } from '../department/department.entity';
import { Library } from '../library/library.entity';
import { MAX_CHAIN_LENGTH } from '../mail/resolve-mail-config';
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

function groupBy<K, T>(rows: readonly T[], key: (row: T) => K | null): Map<K, T[]> {
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

let loads = 0;

/** How many of each thing the configuration holds: what the query cost estimate multiplies by. */
export interface ConfigCounts {
  libraries: number;
  departments: number;
  /** The most departments any one library has. */
  largestDepartmentList: number;
  servers: number;
  settingValues: number;
  definitions: number;
  /** The longest server chain any resolution can follow (at most 10, D5); absent when unknown. */
  longestChain?: number;
}

/** Follows every server's next links as resolution does (stops before a repeat, at 10 servers). */
function longestChain(servers: ReadonlyMap<number, SmtpServer>): number {
  let longest = 0;
  for (const start of servers.values()) {
    const seen = new Set<number>();
    for (let current: SmtpServer | undefined = start; current && !seen.has(current.id) && seen.size < MAX_CHAIN_LENGTH;) {
      seen.add(current.id);
      current = current.nextServerId === null ? undefined : servers.get(current.nextServerId);
    }
    longest = Math.max(longest, seen.size);
  }
  return longest;
}

const byId = <T extends { id: number }>(a: T, b: T) => a.id - b.id;
const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * The whole configuration, indexed in memory at one revision of the database. It is immutable: a
 * reload builds a new snapshot and swaps it in, so a request never sees half of one. Lists are
 * kept in the order the database queries return them (by id, values by key).
 */
export class ConfigSnapshot {
  readonly revision: number;
  /** Unique per load, even when the revision did not change (rows written around the API). */
  readonly generation: number;
  readonly serverList: readonly SmtpServer[];
  readonly libraryList: readonly Library[];
  readonly definitionList: readonly SettingDefinition[];
  readonly servers: ReadonlyMap<number, SmtpServer>;
  readonly libraries: ReadonlyMap<number, Library>;
  readonly departments: ReadonlyMap<number, Department>;
  readonly definitions: ReadonlyMap<string, SettingDefinition>;
  readonly previousServers: ReadonlyMap<number, SmtpServer[]>;
  readonly librariesByServer: ReadonlyMap<number, Library[]>;
  readonly departmentsByLibrary: ReadonlyMap<number, Department[]>;
  readonly departmentsByServer: ReadonlyMap<number, Department[]>;
  readonly globalValues: readonly SettingValue[];
  readonly libraryValues: ReadonlyMap<number, SettingValue[]>;
  readonly departmentValues: ReadonlyMap<number, SettingValue[]>;

  constructor(rows: SnapshotRows) {
    this.revision = rows.revision;
    this.generation = ++loads;
    this.serverList = [...rows.servers].sort(byId);
    this.libraryList = [...rows.libraries].sort(byId);
    const departments = [...rows.departments].sort(byId);
    this.definitionList = [...rows.definitions].sort(byKey);
    const values = [...rows.values].sort(byKey);
    this.valueCount = values.length;
    this.servers = new Map(this.serverList.map((s) => [s.id, s]));
    this.libraries = new Map(this.libraryList.map((l) => [l.id, l]));
    this.departments = new Map(departments.map((d) => [d.id, d]));
    this.definitions = new Map(this.definitionList.map((d) => [d.key, d]));
    this.previousServers = groupBy(this.serverList, (s) => s.nextServerId);
    this.librariesByServer = groupBy(this.libraryList, (l) => l.smtpServerId);
    this.departmentsByLibrary = groupBy(departments, (d) => d.libraryId);
    this.departmentsByServer = groupBy(departments, (d) => d.smtpServerId);
    this.globalValues = values.filter((v) => v.scope === SettingScope.GLOBAL);
    this.libraryValues = groupBy(
      values.filter((v) => v.scope === SettingScope.LIBRARY),
      (v) => v.libraryId,
    );
    this.departmentValues = groupBy(
      values.filter((v) => v.scope === SettingScope.DEPARTMENT),
      (v) => v.departmentId,
    );
  }

  private readonly valueCount: number;
  private countsMemo: ConfigCounts | null = null;

  get counts(): ConfigCounts {
    this.countsMemo ??= {
      libraries: this.libraries.size,
      departments: this.departments.size,
      largestDepartmentList: [...this.departmentsByLibrary.values()].reduce((largest, list) => Math.max(largest, list.length), 0),
      servers: this.servers.size,
      settingValues: this.valueCount,
      definitions: this.definitions.size,
      longestChain: longestChain(this.servers),
    };
    return this.countsMemo;
  }

  get size(): { servers: number; libraries: number; departments: number } {
    return { servers: this.servers.size, libraries: this.libraries.size, departments: this.departments.size };
  }
}
