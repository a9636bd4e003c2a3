import { Loader } from './common/loaders';
import { Department } from './department/department.entity';
import { Library } from './library/library.entity';
import { SettingDefinition } from './settings/setting-definition.entity';
import { SettingValue } from './settings/setting-value.entity';
import { SmtpServer } from './smtp-server/smtp-server.entity';
import type { ConfigSnapshot } from './snapshot/config-snapshot';

/** Everything resolvers read, by id or by link; from the database or from the configuration snapshot. */
export interface Loaders {
  /** True when every lookup is answered from the in-memory snapshot (no SQL). */
  fromSnapshot: boolean;
  /** The snapshot they answer from, for lists paged from its sorted indexes; null without one. */
  snapshot: ConfigSnapshot | null;
  /** The configuration revision the reads answer at (the snapshot's, or read once from the database). */
  revision(): Promise<number>;
  allServers(): Promise<SmtpServer[]>;
  serverIndex(): Promise<ReadonlyMap<number, SmtpServer>>;
  serverById: Loader<number, SmtpServer | null>;
  previousServers: Loader<number, SmtpServer[]>;
  allLibraries(): Promise<Library[]>;
  libraryById: Loader<number, Library | null>;
  librariesByServer: Loader<number, Library[]>;
  departmentById: Loader<number, Department | null>;
  departmentsByLibrary: Loader<number, Department[]>;
  departmentsByServer: Loader<number, Department[]>;
  allDefinitions(): Promise<SettingDefinition[]>;
  definitionIndex(): Promise<ReadonlyMap<string, SettingDefinition>>;
  definitionByKey: Loader<string, SettingDefinition | null>;
  valuesByLibrary: Loader<number, SettingValue[]>;
  valuesByDepartment: Loader<number, SettingValue[]>;
  globalValues(): Promise<SettingValue[]>;
}
