import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * SMTP servers must not be pointed at link-local or cloud-metadata addresses: the gateway would
 * otherwise connect, on a support person's behalf, to the instance metadata service and echo
 * what it answers. Loopback and private addresses stay allowed: internal relays are common.
 */
const METADATA_NAMES = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal']);

function isLinkLocal(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith('169.254.');
  if (isIP(address) === 6) return /^fe[89ab][0-9a-f]:/i.test(address);
  return false;
}

export function forbiddenHostReason(host: string): string | null {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  if (METADATA_NAMES.has(bare)) return `host "${host}" is a cloud metadata service, not an SMTP server`;
  if (isLinkLocal(bare)) return `host "${host}" is a link-local address (169.254.0.0/16, fe80::/10), which is never an SMTP server`;
  return null;
}

export type AddressLookup = (host: string) => Promise<Array<{ address: string }>>;

const systemLookup: AddressLookup = (host) => lookup(host, { all: true, verbatim: true });

/** Checks what the host resolves to right before connecting, since DNS can change after the write. */
export async function destinationRefusal(host: string, resolve: AddressLookup = systemLookup): Promise<string | null> {
  const direct = forbiddenHostReason(host);
  if (direct) return direct;
  if (isIP(host.replace(/^\[|\]$/g, ''))) return null;
  try {
    const addresses = await resolve(host);
    const bad = addresses.find((a) => isLinkLocal(a.address));
    return bad ? `host "${host}" resolves to the link-local address ${bad.address}; refusing to connect` : null;
  } catch {
    // Resolution failures are reported by the connection attempt itself as DNS_FAILED.
    return null;
  }
}
