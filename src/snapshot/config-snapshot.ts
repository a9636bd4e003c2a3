import { Department } from '../department/department.entity';
import { Library } from '../library/library.entity';
import { MAX_CHAIN_LENGTH } from '../mail/resolve-mail-config';
import { applyUpdates } from './apply-updates';
import { indexRows, RowUpdate, SnapshotIndexes, SnapshotRows } from './snapshot-indexes';
import { SettingDefinition } from '../settings/setting-definition.entity';
import { SettingValue } from '../settings/setting-value.entity';
import { SmtpServer } from '../smtp-server/smtp-server.entity';

let loads = 0;
const NO_ROWS: SnapshotRows = { revision: 0, servers: [], libraries: [], departments: [], definitions: [], values: [] };

export type { RowUpdate, SnapshotRows };

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

/**
 * The whole configuration, indexed in memory at one revision of the database. It is immutable: a
 * change builds a new snapshot (from the one before and the changed rows, or from a full load)
 * and swaps it in, so a request never sees half of one. Lists are kept in the order the database
 * queries return them (by id; definitions by key, values by key then id).
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

  constructor(rows: SnapshotRows, indexes: SnapshotIndexes = indexRows(rows)) {
    this.indexes = indexes;
    this.revision = indexes.revision;
    this.generation = ++loads;
    this.serverList = indexes.serverList;
    this.libraryList = indexes.libraryList;
    this.definitionList = indexes.definitionList;
    this.servers = indexes.servers;
    this.libraries = indexes.libraries;
    this.departments = indexes.departments;
    this.definitions = indexes.definitions;
    this.previousServers = indexes.previousServers;
    this.librariesByServer = indexes.librariesByServer;
    this.departmentsByLibrary = indexes.departmentsByLibrary;
    this.departmentsByServer = indexes.departmentsByServer;
    this.globalValues = indexes.globalValues;
    this.libraryValues = indexes.libraryValues;
    this.departmentValues = indexes.departmentValues;
    this.valueCount = indexes.values.size;
  }

  /** The snapshot after a write's row changes, sharing every part they did not touch (this one stays as it is). */
  applied(revision: number, updates: readonly RowUpdate[]): ConfigSnapshot {
    return new ConfigSnapshot(NO_ROWS, applyUpdates(this.indexes, revision, updates));
  }

  private readonly indexes: SnapshotIndexes;
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
