import { createPublicKey } from 'node:crypto';
import { DkimKeyResult } from './deliverability.enums';
import { describeDnsError, isVoidDnsError } from './dns-errors';
import { DnsResolve } from './dns-types';

/** Receivers refuse shorter RSA keys (RFC 8301 §3.2); 2048 bits is what they recommend. */
export const MIN_RSA_BITS = 1024;
const ED25519_KEY_BYTES = 32;

export interface DkimKey {
  record: string | null;
  keyType: string | null;
  keyBits: number | null;
  result: DkimKeyResult;
  /** Why the key is INVALID, or the DNS trouble of a TEMPERROR. */
  detail: string | null;
}

export const dkimName = (selector: string, domain: string): string => `${selector}._domainkey.${domain}`;

export async function lookupDkimKey(selector: string, domain: string, resolve: DnsResolve): Promise<DkimKey> {
  let answers: string[][];
  try {
    answers = await resolve(dkimName(selector, domain), 'TXT');
  } catch (err) {
    if (isVoidDnsError(err)) return missing();
    return { record: null, keyType: null, keyBits: null, result: DkimKeyResult.TEMPERROR, detail: describeDnsError(err) };
  }
  // Other TXT records may share the name; a record without v= is still read as a key record (RFC 6376 §3.6.1).
  const records = answers.map((parts) => parts.join('')).filter((r) => /^\s*v\s*=\s*DKIM1\s*(;|$)/i.test(r) || /(^|;)\s*p\s*=/i.test(r));
  if (records.length === 0) return missing();
  if (records.length > 1)
    return { ...judgeDkimRecord(records[0]), result: DkimKeyResult.INVALID, detail: `${records.length} key records are published under one name` };
  return judgeDkimRecord(records[0]);
}

function missing(): DkimKey {
  return { record: null, keyType: null, keyBits: null, result: DkimKeyResult.MISSING, detail: null };
}

/** Parses `v=DKIM1; k=rsa; p=<base64>` (RFC 6376 §3.6.1, RFC 8463 for Ed25519) and judges the key. */
export function judgeDkimRecord(record: string): DkimKey {
  const tags = parseTags(record);
  const keyType = tags ? (tags.get('k') ?? 'rsa').toLowerCase() : null;
  const invalid = (detail: string): DkimKey => ({ record, keyType, keyBits: null, result: DkimKeyResult.INVALID, detail });
  if (!tags) return invalid('the record is not a list of tag=value pairs');
  if (tags.has('v') && tags.get('v') !== 'DKIM1') return invalid('the version tag is not v=DKIM1');
  const p = tags.get('p');
  if (p === undefined) return invalid('the record has no p= tag (public key)');
  if (p === '') return invalid('the key is revoked (empty p=)');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(p)) return invalid('the p= tag is not base64');
  const der = Buffer.from(p, 'base64');
  if (keyType === 'ed25519') {
    if (der.length !== ED25519_KEY_BYTES) return invalid(`an Ed25519 key has ${ED25519_KEY_BYTES} bytes, this one ${der.length}`);
    return { record, keyType, keyBits: 256, result: DkimKeyResult.VALID, detail: null };
  }
  if (keyType !== 'rsa') return invalid(`the key type k=${keyType} is not one receivers know (rsa, ed25519)`);
  const bits = rsaBits(der);
  if (bits === null) return invalid('the p= tag does not hold an RSA public key');
  return { record, keyType, keyBits: bits, result: bits < MIN_RSA_BITS ? DkimKeyResult.WEAK : DkimKeyResult.VALID, detail: null };
}

function rsaBits(der: Buffer): number | null {
  try {
    const key = createPublicKey({ key: der, format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'rsa' ? (key.asymmetricKeyDetails?.modulusLength ?? null) : null;
  } catch {
    return null;
  }
}

/** Tag names are case-sensitive; whitespace (also folding inside base64) is ignored. */
function parseTags(record: string): Map<string, string> | null {
  const tags = new Map<string, string>();
  for (const part of record.split(';')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim();
    if (eq < 0 || name === '' || tags.has(name)) return null;
    tags.set(name, part.slice(eq + 1).replace(/\s+/g, ''));
  }
  return tags;
}
