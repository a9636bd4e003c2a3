import { describeDnsError, isVoidDnsError } from './dns-errors';
import { DnsResolve } from './dns-types';
import { spfRecordsFrom } from './spf-record';

export type SpfRecordLookup = { kind: 'found'; records: string[] } | { kind: 'temperror'; detail: string };

export async function lookupSpfRecords(domain: string, resolve: DnsResolve): Promise<SpfRecordLookup> {
  try {
    return { kind: 'found', records: spfRecordsFrom(await resolve(domain, 'TXT')) };
  } catch (err) {
    if (isVoidDnsError(err)) return { kind: 'found', records: [] };
    return { kind: 'temperror', detail: describeDnsError(err) };
  }
}
