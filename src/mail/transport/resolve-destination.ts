import { lookup, Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { addressRefusal, forbiddenHostReason } from '../../security/destination-guard';
import { formatIpAddress, parseIpAddress } from '../../security/ip-address';

/** Every address a host name has; rejects when the name does not resolve. */
export type HostLookup = (host: string) => Promise<string[]>;

/** The system resolver, as the SMTP client would have used it (hosts file, search domains). */
export const systemLookup: HostLookup = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** Asks these DNS servers ('ip' or 'ip:port') directly, for A and AAAA records. */
export function dnsServerLookup(servers: string[], timeoutMs: number): HostLookup {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  resolver.setServers(servers);
  return async (host) => {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
    const addresses = [v4, v6].flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    if (addresses.length === 0) throw v4.status === 'rejected' ? v4.reason : new Error('No addresses');
    return addresses;
  };
}

/** Connecting was refused by the destination guard; the text is the gateway's own. */
export class DestinationRefusedError extends Error {
  readonly code = 'EDESTINATION';
}

/** The name did not resolve; the resolver's own message (which names the host) is not kept. */
export class HostNotFoundError extends Error {
  readonly code = 'EDNS';
  readonly originalCode: string | undefined;

  constructor(cause: unknown) {
    super('The host name could not be resolved');
    const code = (cause as { code?: unknown } | null)?.code;
    this.originalCode = typeof code === 'string' ? code : undefined;
  }
}

/**
 * Resolves the host once and checks every address it has, so that the address connected to is one
 * that was checked: the SMTP client is then given that address, never the name (which a rebinding
 * DNS server could answer differently the second time).
 */
export async function resolveDestination(host: string, resolve: HostLookup): Promise<string> {
  const direct = forbiddenHostReason(host);
  if (direct) throw new DestinationRefusedError(direct);
  const literal = parseIpAddress(host);
  if (literal) return formatIpAddress(literal);
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch (error) {
    throw new HostNotFoundError(error);
  }
  const parsed = addresses.map((address) => parseIpAddress(address));
  if (parsed.length === 0 || parsed.some((bytes) => bytes === null)) throw new HostNotFoundError(null);
  for (const bytes of parsed as Uint8Array[]) {
    const reason = addressRefusal(bytes);
    if (reason) throw new DestinationRefusedError(`host resolves to an address that ${reason}; refusing to connect`);
  }
  return formatIpAddress(parsed[0] as Uint8Array);
}

/** The name TLS checks the certificate against (and sends as SNI); none for an address literal. */
export function tlsServerName(host: string): string | undefined {
  const bare = host.replace(/^\[|\]$/g, '');
  return isIP(bare) || parseIpAddress(bare) ? undefined : bare.replace(/\.$/, '');
}
