const GONE: unique symbol = Symbol('gone');

/**
 * A read-only map made of a shared base and a small layer of changes, so a new version of a
 * large index costs its changes rather than its size. The layer is folded into a fresh base
 * once it grows past about twice the square root of the base: a copy of the whole map then
 * and again only after that many more changes.
 */
export class OverlayMap<K, V> implements ReadonlyMap<K, V> {
  private constructor(
    private readonly base: ReadonlyMap<K, V>,
    private readonly layer: ReadonlyMap<K, V | typeof GONE>,
    readonly size: number,
  ) {}

  static of<K, V>(entries: Map<K, V>): OverlayMap<K, V> {
    return new OverlayMap(entries, new Map(), entries.size);
  }

  /** A new map with `changes` applied (undefined removes the key); this one is left as it is. */
  with(changes: Iterable<readonly [K, V | undefined]>): OverlayMap<K, V> {
    const layer = new Map(this.layer);
    let size = this.size;
    for (const [key, value] of changes) {
      // read through the layer being built, so a key changed twice in one call counts once
      const had = layer.has(key) ? layer.get(key) !== GONE : this.base.has(key);
      if (value === undefined) {
        if (this.base.has(key)) layer.set(key, GONE);
        else layer.delete(key);
        if (had) size -= 1;
      } else {
        layer.set(key, value);
        if (!had) size += 1;
      }
    }
    const next = new OverlayMap(this.base, layer, size);
    return layer.size > 16 + 2 * Math.sqrt(this.base.size) ? next.compacted() : next;
  }

  get(key: K): V | undefined {
    if (this.layer.has(key)) {
      const value = this.layer.get(key) as V | typeof GONE;
      return value === GONE ? undefined : value;
    }
    return this.base.get(key);
  }

  has(key: K): boolean {
    if (this.layer.has(key)) return this.layer.get(key) !== GONE;
    return this.base.has(key);
  }

  *entries(): MapIterator<[K, V]> {
    for (const [key, value] of this.base) {
      if (!this.layer.has(key)) yield [key, value];
      else {
        const changed = this.layer.get(key) as V | typeof GONE;
        if (changed !== GONE) yield [key, changed];
      }
    }
    for (const [key, value] of this.layer) if (value !== GONE && !this.base.has(key)) yield [key, value];
  }

  *keys(): MapIterator<K> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void): void {
    for (const [key, value] of this.entries()) callback(value, key, this);
  }

  private compacted(): OverlayMap<K, V> {
    const base = new Map(this.entries());
    return new OverlayMap(base, new Map(), base.size);
  }
}
