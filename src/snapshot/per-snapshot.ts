import type { ConfigSnapshot } from './config-snapshot';

const memos = new WeakMap<ConfigSnapshot, Map<string, unknown>>();

/**
 * A value derived from one snapshot (a sorted index, say), built on first use and dropped with
 * the snapshot, so a reload never serves an index of older rows.
 */
export function perSnapshot<T>(snapshot: ConfigSnapshot, name: string, build: () => T): T {
  let memo = memos.get(snapshot);
  if (!memo) {
    memo = new Map();
    memos.set(snapshot, memo);
  }
  if (!memo.has(name)) memo.set(name, build());
  return memo.get(name) as T;
}
