import { isVoidDnsError } from './dns-errors';
import { DnsMeter, DnsResolve, DnsRrType, MeteredDnsResolve } from './dns-types';

export interface DnsCacheOptions {
  cacheSeconds?: number;
  /** Milliseconds since the epoch; injectable so tests need not wait for expiry. */
  now?: () => number;
  maxEntries?: number;
}

interface Entry {
  /** While the query is in flight every identical lookup joins it, whatever the TTL. */
  pending: boolean;
  expiresAt: number;
  answer: Promise<unknown>;
}

const cacheKey = (name: string, rrtype: string): string => `${rrtype} ${name.toLowerCase().replace(/\.$/, '')}`;

/** Callers (mailauth sorts MX lists in place) must not be able to alter what the next caller gets. */
const copyOf = <T>(value: T): T => structuredClone(value);

/**
 * Caches answers and "no such record" for `cacheSeconds` (0: not at all). Other failures are
 * dropped as soon as they settle, so a DNS outage is retried on the next check instead of being
 * remembered. Concurrent identical lookups share one query, also with `cacheSeconds` 0.
 * Only a lookup that sends a query charges the caller's meter, before anything is stored, so a
 * caller refused by its own limit never hands that refusal to others joining the same question.
 */
export function withDnsCache(resolve: DnsResolve, options: DnsCacheOptions = {}): MeteredDnsResolve {
  const ttlMs = (options.cacheSeconds ?? 300) * 1000;
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, Entry>();

  const settle = (key: string, entry: Entry, keep: boolean): void => {
    entry.pending = false;
    entry.expiresAt = now() + ttlMs;
    if ((!keep || ttlMs <= 0) && entries.get(key) === entry) entries.delete(key);
  };

  return (async (name: string, rrtype: DnsRrType, meter?: DnsMeter) => {
    const key = cacheKey(name, rrtype);
    const cached = entries.get(key);
    if (cached && (cached.pending || cached.expiresAt > now())) return copyOf(await cached.answer);
    if (cached) entries.delete(key);

    meter?.spend(name, rrtype);
    const entry: Entry = { pending: true, expiresAt: 0, answer: resolve(name, rrtype) };
    entries.set(key, entry);
    if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    entry.answer.then(
      () => settle(key, entry, true),
      (err: unknown) => settle(key, entry, isVoidDnsError(err)),
    );
    return copyOf(await entry.answer);
  }) as MeteredDnsResolve;
}

/**
 * Remembers every outcome, failures included, for the life of one check: each question is asked
 * at most once, so a dead DNS server costs one timeout per name rather than one per evaluation,
 * and every part of a report sees the same answer.
 */
export function memoizeDns(resolve: DnsResolve): DnsResolve {
  const answers = new Map<string, Promise<unknown>>();
  return (async (name: string, rrtype: DnsRrType) => {
    const key = cacheKey(name, rrtype);
    let answer = answers.get(key);
    if (!answer) {
      answer = resolve(name, rrtype);
      answer.catch(() => undefined);
      answers.set(key, answer);
    }
    return copyOf(await answer);
  }) as DnsResolve;
}
