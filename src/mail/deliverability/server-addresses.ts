import { isIP } from 'node:net';
import { describeDnsCode, describeDnsError, errorCode, isVoidDnsError } from './dns-errors';
import { DnsResolve } from './dns-types';
import { canonicalIp } from './spf-record';

export interface ServerAddresses {
  addresses: string[];
  /** 'unresolved': the name has no A/AAAA records; 'temperror': a lookup failed, so addresses may be missing. */
  problem: { kind: 'unresolved' | 'temperror'; detail: string } | null;
}

/** Receivers see whichever address the connection came from, so every A and AAAA address must be authorised. */
export async function resolveServerAddresses(host: string, resolve: DnsResolve): Promise<ServerAddresses> {
  const name = host
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  if (isIP(name)) return { addresses: [canonicalIp(name)], problem: null };
  if (!name) return { addresses: [], problem: { kind: 'unresolved', detail: 'the host is empty' } };

  const lookups = await Promise.allSettled([resolve(name, 'A'), resolve(name, 'AAAA')]);
  const addresses = [...new Set(lookups.flatMap((l) => (l.status === 'fulfilled' ? l.value.map(canonicalIp) : [])))];
  const failures = lookups.flatMap((l) => (l.status === 'rejected' ? [l.reason as unknown] : []));
  const hard = failures.find((err) => !isVoidDnsError(err));
  if (hard) return { addresses, problem: { kind: 'temperror', detail: describeDnsError(hard) } };
  if (addresses.length === 0) {
    return { addresses, problem: { kind: 'unresolved', detail: describeDnsCode(errorCode(failures[0])) } };
  }
  return { addresses, problem: null };
}
