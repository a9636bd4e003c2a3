import { promises as dnsPromises } from 'node:dns';
import { DnsLookupError, toDnsLookupError } from './dns-errors';
import { withDnsCache } from './dns-cache';
import { DnsResolve, DnsRrType, MeteredDnsResolve, SUPPORTED_RR_TYPES } from './dns-types';

export interface DnsResolverOptions {
  /** 'host', 'host:port', '[v6]:port'; omitted = the system's resolvers. */
  servers?: string[];
  /** Upper bound for a single lookup, including any retries inside c-ares. */
  timeoutMs: number;
  /** TTL of the in-memory answer cache; 0 disables it (lookups in flight are still shared). Default 300. */
  cacheSeconds?: number;
}

/**
 * A fresh c-ares channel per lookup lets us `cancel()` exactly the lookup that ran out of time;
 * cancelling a shared channel would also kill every concurrent lookup on it.
 */
export function createDnsResolver(options: DnsResolverOptions): MeteredDnsResolve {
  const timeoutMs = Math.floor(options.timeoutMs);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new Error(`timeoutMs must be a positive number of milliseconds, got ${options.timeoutMs}`);
  }
  const servers = options.servers && options.servers.length > 0 ? [...options.servers] : undefined;
  const newChannel = (): dnsPromises.Resolver => {
    // The deadline below is the bound; c-ares' own, checked from a timer before pending answers are
    // read, would call an answer that a busy event loop has not read yet a timeout.
    const channel = new dnsPromises.Resolver({ timeout: timeoutMs * 4, tries: 1 });
    if (servers) channel.setServers(servers);
    return channel;
  };
  newChannel(); // fail fast on malformed server addresses instead of on every lookup

  const lookup = (async (name: string, rrtype: DnsRrType) => {
    if (!SUPPORTED_RR_TYPES.includes(rrtype)) {
      throw new DnsLookupError('EBADQUERY', name, String(rrtype), `record type ${String(rrtype)} is not supported`);
    }
    const channel = newChannel();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      // Timers run before pending I/O is read: after the event loop was busy, an answer may already
      // be waiting. Deciding in setImmediate lets it be read first, so a busy process is not a dead server.
      timer = setTimeout(() => {
        setImmediate(() => {
          channel.cancel();
          reject(new DnsLookupError('ETIMEOUT', name, rrtype, `the DNS server did not answer within ${timeoutMs} ms`));
        });
      }, timeoutMs);
    });
    try {
      return await Promise.race([channel.resolve(name, rrtype), deadline]);
    } catch (err) {
      throw toDnsLookupError(err, name, rrtype);
    } finally {
      clearTimeout(timer);
    }
  }) as DnsResolve;

  return withDnsCache(lookup, { cacheSeconds: options.cacheSeconds ?? 300 });
}
