import type { AuditedEntityType } from '../audit/record-audit';
import { Department } from '../department/department.entity';
import type { ConfigRow } from '../history/row-image';
import { Library } from '../library/library.entity';
import { SettingDefinition } from '../settings/setting-definition.entity';
import { SettingValue } from '../settings/setting-value.entity';
import { SettingScope } from '../settings/setting.enums';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { OverlayMap } from './overlay-map';

export interface SnapshotRows {
  revision: number;
  servers: SmtpServer[];
  libraries: Library[];
  departments: Department[];
  definitions: SettingDefinition[];
  values: SettingValue[];
}

/** One row as a change left it, or null when the change removed it. */
export interface RowUpdate {
  type: AuditedEntityType;
  key: number | string;
  row: ConfigRow | null;
}

type Grouped<T> = OverlayMap<number, T[]>;

/** Every index of a snapshot; the maps share their unchanged parts with the snapshot before. */
export interface SnapshotIndexes {
  revision: number;
  serverList: readonly SmtpServer[];
  libraryList: readonly Library[];
  definitionList: readonly SettingDefinition[];
  globalValues: readonly SettingValue[];
  servers: OverlayMap<number, SmtpServer>;
  libraries: OverlayMap<number, Library>;
  departments: OverlayMap<number, Department>;
  definitions: OverlayMap<string, SettingDefinition>;
  values: OverlayMap<number, SettingValue>;
  previousServers: Grouped<SmtpServer>;
  librariesByServer: Grouped<Library>;
  departmentsByLibrary: Grouped<Department>;
  departmentsByServer: Grouped<Department>;
  libraryValues: Grouped<SettingValue>;
  departmentValues: Grouped<SettingValue>;
}

type Order<T> = (a: T, b: T) => number;
const byId: Order<{ id: number }> = (a, b) => a.id - b.id;
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byKey: Order<{ key: string }> = (a, b) => byText(a.key, b.key);
/** Values by key, then id, so a full load and a replayed change agree on the order. */
const byKeyThenId: Order<SettingValue> = (a, b) => byText(a.key, b.key) || a.id - b.id;

function groupBy<T>(rows: readonly T[], key: (row: T) => number | null): Grouped<T> {
  const groups = new Map<number, T[]>();
  for (const row of rows) {
    const k = key(row);
    if (k === null) continue;
    const group = groups.get(k);
    if (group) group.push(row);
    else groups.set(k, [row]);
  }
  return OverlayMap.of(groups);
}

const valueGroup = (scope: SettingScope, key: (v: SettingValue) => number | null) => (v: SettingValue) => (v.scope === scope ? key(v) : null);
const libraryValueKey = valueGroup(SettingScope.LIBRARY, (v) => v.libraryId);
const departmentValueKey = valueGroup(SettingScope.DEPARTMENT, (v) => v.departmentId);

/** Indexes of a full load. Lists are sorted by id (definitions and values by key), as the database returns them. */
export function indexRows(rows: SnapshotRows): SnapshotIndexes {
  const serverList = [...rows.servers].sort(byId);
  const libraryList = [...rows.libraries].sort(byId);
  const departments = [...rows.departments].sort(byId);
  const values = [...rows.values].sort(byKeyThenId);
  return {
    revision: rows.revision,
    serverList,
    libraryList,
    definitionList: [...rows.definitions].sort(byKey),
    globalValues: values.filter((v) => v.scope === SettingScope.GLOBAL),
    servers: OverlayMap.of(new Map(serverList.map((s) => [s.id, s]))),
    libraries: OverlayMap.of(new Map(libraryList.map((l) => [l.id, l]))),
    departments: OverlayMap.of(new Map(departments.map((d) => [d.id, d]))),
    definitions: OverlayMap.of(new Map(rows.definitions.map((d) => [d.key, d]))),
    values: OverlayMap.of(new Map(values.map((v) => [v.id, v]))),
    previousServers: groupBy(serverList, (s) => s.nextServerId),
    librariesByServer: groupBy(libraryList, (l) => l.smtpServerId),
    departmentsByLibrary: groupBy(departments, (d) => d.libraryId),
    departmentsByServer: groupBy(departments, (d) => d.smtpServerId),
    libraryValues: groupBy(values, libraryValueKey),
    departmentValues: groupBy(values, departmentValueKey),
  };
}

/** A sorted list with one row replaced, removed or added: a copy, the original untouched. */
function relisted<T>(list: readonly T[], old: T | undefined, row: T | null, order: Order<T>): T[] {
  const next = old === undefined ? [...list] : list.filter((item) => item !== old);
  if (row === null) return next;
  let low = 0;
  for (let high = next.length; low < high;) {
    const middle = (low + high) >>> 1;
    if (order(next[middle], row) < 0) low = middle + 1;
    else high = middle;
  }
  next.splice(low, 0, row);
  return next;
}

/** Moves a row between the groups of a grouped index; changed groups are collected in `pending`. */
function regroup<T>(
  groups: Grouped<T>,
  pending: Map<number, T[] | undefined>,
  old: T | undefined,
  row: T | null,
  key: (r: T) => number | null,
  order: Order<T>,
) {
  const current = (k: number) => (pending.has(k) ? (pending.get(k) ?? []) : (groups.get(k) ?? []));
  const oldKey = old === undefined ? null : key(old);
  const newKey = row === null ? null : key(row);
  if (oldKey !== null) {
    const left = relisted(current(oldKey), old, oldKey === newKey ? row : null, order);
    pending.set(oldKey, left.length > 0 ? left : undefined);
  }
  if (newKey !== null && newKey !== oldKey) pending.set(newKey, relisted(current(newKey), undefined, row, order));
}

export { byId, byKey, byKeyThenId, regroup, relisted };
export type { Grouped };
