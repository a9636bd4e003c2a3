import DataLoader from 'dataloader';

/** What resolvers need of a loader; a DataLoader is one, and so is a lookup in the snapshot. */
export interface Loader<K, V> {
  load(key: K): Promise<V>;
  prime(key: K, value: V): unknown;
}

/** A loader over data already in memory: no batching needed, nothing to prime. */
export function memoryLoader<K, V>(lookup: (key: K) => V): Loader<K, V> {
  return { load: (key) => Promise.resolve(lookup(key)), prime: () => undefined };
}

/** A loader of rows by id; results come back in key order, null where a row does not exist. */
export function loaderById<T extends { id: number }>(fetch: (ids: number[]) => Promise<T[]>): DataLoader<number, T | null> {
  return new DataLoader<number, T | null>(async (ids) => {
    const rows = await fetch([...ids]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** A loader of the rows that share a key (e.g. the departments of a library), in key order. */
export function loaderByGroup<K, T>(fetch: (keys: K[]) => Promise<T[]>, keyOf: (row: T) => K): DataLoader<K, T[]> {
  return new DataLoader<K, T[]>(async (keys) => {
    const rows = await fetch([...keys]);
    const groups = new Map<K, T[]>(keys.map((key) => [key, []]));
    for (const row of rows) groups.get(keyOf(row))?.push(row);
    return keys.map((key) => groups.get(key) ?? []);
  });
}
