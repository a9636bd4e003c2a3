import { isIP } from 'node:net';

export type SpfQualifier = '+' | '-' | '~' | '?';

export interface SpfTerm {
  /** The term exactly as published. */
  raw: string;
  kind: 'mechanism' | 'modifier';
  qualifier: SpfQualifier;
  /** Lower-case mechanism or modifier name, e.g. 'include', 'ip4', 'all', 'redirect'. */
  name: string;
  /** Text after ':' or '=' (mechanisms may also carry only '/cidr'); '' when absent. */
  value: string;
}

const SPF_VERSION = /^v=spf1(\s|$)/i;

/** TXT records that are SPF records, each joined from its character-strings (RFC 7208 §3.3). */
export function spfRecordsFrom(txt: string[][]): string[] {
  return txt.map((strings) => strings.join('')).filter((record) => SPF_VERSION.test(record.trim()));
}

export function parseSpfTerms(record: string): SpfTerm[] {
  return record.trim().split(/\s+/).slice(1).map(parseSpfTerm);
}

export function parseSpfTerm(raw: string): SpfTerm {
  const modifier = /^([a-z][a-z0-9_.-]*)=(.*)$/i.exec(raw);
  if (modifier) return { raw, kind: 'modifier', qualifier: '+', name: modifier[1].toLowerCase(), value: modifier[2] };
  const qualifier = /^[+\-~?]/.test(raw) ? (raw[0] as SpfQualifier) : '+';
  const body = /^[+\-~?]/.test(raw) ? raw.slice(1) : raw;
  const match = /^([a-z0-9]+)(?::(.*)|(\/.*))?$/i.exec(body);
  if (!match) return { raw, kind: 'mechanism', qualifier, name: body.toLowerCase(), value: '' };
  return { raw, kind: 'mechanism', qualifier, name: match[1].toLowerCase(), value: match[2] ?? match[3] ?? '' };
}

/** Terms that cost one of the ten DNS lookups an evaluation may make (RFC 7208 §4.6.4). */
export function costsLookup(term: SpfTerm): boolean {
  if (term.kind === 'modifier') return term.name === 'redirect';
  return ['include', 'a', 'mx', 'ptr', 'exists'].includes(term.name);
}

/** Canonical form used to tell whether a record already contains a term. */
export function termKey(term: SpfTerm): string {
  if (term.kind === 'modifier') return `${term.name}=${term.value.toLowerCase()}`;
  let value = term.value.toLowerCase().replace(/\.$/, '');
  if (term.name === 'ip4' || term.name === 'ip6') {
    const [address, prefix] = value.split('/');
    const full = term.name === 'ip4' ? '32' : '128';
    value = (isIP(address) ? canonicalIp(address) : address) + (prefix && prefix !== full ? `/${prefix}` : '');
  }
  return `${term.qualifier}${term.name}${value ? `:${value}` : ''}`;
}

export function ipTerm(address: string): string {
  return isIP(address) === 6 ? `ip6:${canonicalIp(address)}` : `ip4:${address}`;
}

/** IPv4-mapped IPv6 becomes plain IPv4: mailauth only unmaps the dotted form, and receivers see IPv4 anyway. */
export function canonicalIp(address: string): string {
  if (isIP(address) !== 6) return address;
  const normalized = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(normalized);
  if (!mapped) return normalized;
  const [high, low] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** TXT character-strings hold at most 255 octets; longer records are published split. */
export function toTxtStrings(record: string): string[] {
  const strings: string[] = [];
  for (let i = 0; i < record.length; i += 255) strings.push(record.slice(i, i + 255));
  return strings;
}
