import { isIPv4, isIPv6 } from 'node:net';
import { describeDnsError, isVoidDnsError } from './dns-errors';
import { DnsResolve } from './dns-types';
import { ReverseDns } from './report-types';
import { canonicalIp } from './spf-record';

/** Receivers follow only a few names of an address with many PTR records; so does the check. */
const MAX_PTR_NAMES = 3;

/** The name a PTR record of `address` lives at (RFC 1035 §3.5, RFC 3596 §2.5). */
export function reverseName(address: string): string {
  if (isIPv4(address)) return `${address.split('.').reverse().join('.')}.in-addr.arpa`;
  const groups = expandIpv6(address);
  return `${[...groups.join('')].reverse().join('.')}.ip6.arpa`;
}

function expandIpv6(address: string): string[] {
  const [head, tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') && tail ? tail.split(':') : [];
  const zeros = Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...(address.includes('::') ? zeros : []), ...right].map((g) => g.padStart(4, '0'));
}

/** Forward-confirmed reverse DNS: a PTR name of the address whose A/AAAA records include the address again. */
export async function checkReverseDns(address: string, resolve: DnsResolve): Promise<ReverseDns> {
  let names: string[];
  try {
    names = (await resolve(reverseName(address), 'PTR')).map((n) => n.replace(/\.$/, '').toLowerCase());
  } catch (err) {
    return { address, ptr: null, forwardConfirmed: false, temperror: isVoidDnsError(err) ? null : describeDnsError(err) };
  }
  const family = isIPv6(address) ? 'AAAA' : 'A';
  const checked = await Promise.all(
    names.slice(0, MAX_PTR_NAMES).map((name) =>
      resolve(name, family).then(
        (found) => ({ name, confirmed: found.map(canonicalIp).includes(address), trouble: null as string | null }),
        (err: unknown) => ({ name, confirmed: false, trouble: isVoidDnsError(err) ? null : describeDnsError(err) }),
      ),
    ),
  );
  const confirmed = checked.find((c) => c.confirmed);
  if (confirmed) return { address, ptr: confirmed.name, forwardConfirmed: true, temperror: null };
  return { address, ptr: names[0] ?? null, forwardConfirmed: false, temperror: checked.find((c) => c.trouble)?.trouble ?? null };
}
