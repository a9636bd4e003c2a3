import { parseIpAddress } from './ip-address';

/**
 * SMTP servers must not be pointed at link-local, unspecified or cloud-metadata addresses: the
 * gateway would otherwise connect, on a support person's behalf, to the instance metadata service
 * and report what it answers. Addresses are compared as bytes, so every spelling of one address
 * (IPv4-mapped, IPv4-compatible, NAT64, 6to4, inet_aton forms) gets the same answer. Loopback and
 * private addresses stay allowed: internal relays are common.
 * Reasons never quote the host: it is the caller's own input.
 */
const METADATA_NAMES = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal']);
const METADATA_V4 = ['169.254.169.254', '100.100.100.200'];
const METADATA_V6 = [[0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54]];

const LINK_LOCAL = 'is a link-local address (169.254.0.0/16, fe80::/10), which is never an SMTP server';
const UNSPECIFIED = 'is an unspecified address (0.0.0.0/8, ::), which is never an SMTP server';
const METADATA = 'is a cloud metadata service, not an SMTP server';

const zeros = (bytes: Uint8Array, from: number, to: number) => bytes.subarray(from, to).every((b) => b === 0);

/** The IPv4 address an IPv6 address carries and is routed to, if any. */
function embeddedIpv4(v6: Uint8Array): Uint8Array | null {
  const last4 = v6.subarray(12, 16);
  if (zeros(v6, 0, 10) && v6[10] === 0xff && v6[11] === 0xff) return last4; // ::ffff:a.b.c.d
  if (zeros(v6, 0, 8) && v6[8] === 0xff && v6[9] === 0xff && zeros(v6, 10, 12)) return last4; // ::ffff:0:a.b.c.d
  // ::a.b.c.d (deprecated IPv4-compatible); :: and ::1 are IPv6 addresses of their own.
  if (zeros(v6, 0, 12) && !(zeros(v6, 12, 15) && v6[15] <= 1)) return last4;
  if (v6[0] === 0x00 && v6[1] === 0x64 && v6[2] === 0xff && v6[3] === 0x9b && zeros(v6, 4, 12)) return last4; // NAT64
  if (v6[0] === 0x20 && v6[1] === 0x02) return v6.subarray(2, 6); // 6to4
  return null;
}

function ipv4Reason(v4: Uint8Array): string | null {
  const text = Array.from(v4).join('.');
  if (v4[0] === 169 && v4[1] === 254) return LINK_LOCAL;
  if (v4[0] === 0) return UNSPECIFIED;
  if (METADATA_V4.includes(text)) return METADATA;
  return null;
}

function ipv6Reason(v6: Uint8Array): string | null {
  if (v6[0] === 0xfe && (v6[1] & 0xc0) === 0x80) return LINK_LOCAL;
  if (zeros(v6, 0, 16)) return UNSPECIFIED;
  if (METADATA_V6.some((m) => m.every((b, i) => b === v6[i]))) return METADATA;
  const v4 = embeddedIpv4(v6);
  return v4 ? ipv4Reason(v4) : null;
}

/** Why connecting to this address is refused, or null; the address as bytes (4 or 16). */
export function addressRefusal(bytes: Uint8Array): string | null {
  return bytes.length === 4 ? ipv4Reason(bytes) : ipv6Reason(bytes);
}

/** Write-time and connect-time check of a host as written: a metadata name or a refused address literal. */
export function forbiddenHostReason(host: string): string | null {
  const bare = host
    .trim()
    .replace(/^\[|\]$/g, '')
    .toLowerCase()
    .replace(/\.$/, '');
  if (METADATA_NAMES.has(bare)) return `host ${METADATA}`;
  const bytes = parseIpAddress(bare);
  const reason = bytes ? addressRefusal(bytes) : null;
  return reason ? `host ${reason}` : null;
}
