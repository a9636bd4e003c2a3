import type { Loaders } from '../loaders.type';
import type { ConfigSnapshot } from '../snapshot/config-snapshot';
import { snapshotLoaders } from '../snapshot/snapshot-loaders';

/** Which historical snapshot a row object belongs to; current rows are never in it. */
const origins = new WeakMap<object, ConfigSnapshot>();

/** Loaders over a historical snapshot, one set per request: request-scoped memos (visible chains) hang off them. */
const perRequest = new WeakMap<object, Map<ConfigSnapshot, Loaders>>();

/** Marks every row of a historical snapshot as its own, so fields read beneath them stay at its revision. */
export function markHistorical(snapshot: ConfigSnapshot): void {
  const lists: Iterable<object>[] = [
    snapshot.serverList,
    snapshot.libraryList,
    snapshot.departments.values(),
    snapshot.definitionList,
    snapshot.globalValues,
    ...snapshot.libraryValues.values(),
    ...snapshot.departmentValues.values(),
  ];
  for (const list of lists) for (const row of list) origins.set(row, snapshot);
}

/** The historical snapshot a row came from; undefined for a current row. */
export function historicalSnapshotOf(row: object): ConfigSnapshot | undefined {
  return origins.get(row);
}

/** The request's loaders over a historical snapshot, made once per request and snapshot. */
export function loadersOfSnapshot(request: object, snapshot: ConfigSnapshot): Loaders {
  let made = perRequest.get(request);
  if (!made) {
    made = new Map();
    perRequest.set(request, made);
  }
  let loaders = made.get(snapshot);
  if (!loaders) {
    loaders = snapshotLoaders(snapshot);
    made.set(snapshot, loaders);
  }
  return loaders;
}
