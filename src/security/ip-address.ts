import { isIPv6 } from 'node:net';

/**
 * Parses an address literal to its bytes (4 for IPv4, 16 for IPv6), or null when the text is not
 * one. IPv4 is read as inet_aton reads it (what getaddrinfo, and so the connection, would do):
 * 1 to 4 parts, each decimal, octal (leading 0) or hex (0x), the last filling the remaining bytes,
 * so `2852039166`, `0xa9.0xfe.0xa9.0xfe` and `169.254.43518` are all 169.254.169.254.
 */
export function parseIpAddress(text: string): Uint8Array | null {
  const bare = text
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/%.*$/, '')
    .replace(/\.$/, '');
  if (bare.includes(':')) return parseIpv6(bare);
  return parseIpv4(bare);
}

const V4_PART = /^(?:0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*)$/i;

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length > 4 || !parts.every((part) => V4_PART.test(part))) return null;
  const values = parts.map((part) =>
    /^0x/i.test(part) ? (part.length === 2 ? 0 : parseInt(part.slice(2), 16)) : /^0./.test(part) ? parseInt(part, 8) : Number(part),
  );
  const last = values.pop() as number;
  if (values.some((value) => value > 255)) return null;
  if (last >= 2 ** (8 * (4 - values.length))) return null;
  const bytes = new Uint8Array(4);
  values.forEach((value, index) => (bytes[index] = value));
  for (let i = 3, rest = last; i >= values.length; i -= 1, rest = Math.floor(rest / 256)) bytes[i] = rest % 256;
  return bytes;
}

function parseIpv6(text: string): Uint8Array | null {
  if (!isIPv6(text)) return null;
  let groups = text.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(groups);
  if (dotted) {
    const v4 = parseIpv4(dotted[1]) as Uint8Array;
    groups = `${groups.slice(0, -dotted[1].length)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const [head, tail] = groups.split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const all = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  const bytes = new Uint8Array(16);
  all.forEach((group, index) => {
    const value = parseInt(group, 16);
    bytes[index * 2] = value >> 8;
    bytes[index * 2 + 1] = value & 0xff;
  });
  return bytes;
}

/** The usual text form: dotted quad, or IPv6 as Node prints it. */
export function formatIpAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}
