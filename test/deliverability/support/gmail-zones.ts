import { generateKeyPairSync } from 'node:crypto';
import { Zone } from './dns-test-server';

const rsaKey = (modulusLength: number): string =>
  generateKeyPairSync('rsa', { modulusLength }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');

/** RFC 8463: p= of an Ed25519 key is the raw 32-byte key, the tail of its SubjectPublicKeyInfo. */
const ed25519Key = (): string => generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');

/** Generated once per test file: RSA key generation is the slow part. */
export const KEYS = { rsa768: rsaKey(768), rsa1024: rsaKey(1024), rsa2048: rsaKey(2048), ed25519: ed25519Key() };

/**
 * Google's sender requirements (DKIM, reverse DNS, DMARC alignment) on loopback addresses.
 * Reverse names without an entry are generated from the A/AAAA records (forward-confirmed).
 */
export function gmailZone(): Zone {
  return {
    // A library that is ready but not bulkReady: SPF and DKIM pass, no DMARC record.
    'kniha.test': { TXT: ['v=spf1 ip4:127.0.8.0/24 -all'] },
    'clavius1._domainkey.kniha.test': { TXT: [`v=DKIM1; k=rsa; p=${KEYS.rsa2048}`] },
    'smtp.vendor.test': { A: ['127.0.8.1'] },
    'smtp2.vendor.test': { A: ['127.0.8.2'] },

    // Every kind of key record, all under one domain.
    'keys.test': { TXT: ['v=spf1 ip4:127.0.8.0/24 -all'] },
    '_dmarc.keys.test': { TXT: ['v=DMARC1; p=none'] },
    'rsa768._domainkey.keys.test': { TXT: [`v=DKIM1; k=rsa; p=${KEYS.rsa768}`] },
    'rsa1024._domainkey.keys.test': { TXT: [`v=DKIM1; p=${KEYS.rsa1024}`] },
    'rsa2048._domainkey.keys.test': { TXT: [`v=DKIM1; k=rsa; p=${KEYS.rsa2048}`] },
    'ed._domainkey.keys.test': { TXT: [`v=DKIM1; k=ed25519; p=${KEYS.ed25519}`] },
    'broken._domainkey.keys.test': { TXT: ['v=DKIM1; k=rsa; p=bm90IGEga2V5IGF0IGFsbA=='] },
    'revoked._domainkey.keys.test': { TXT: ['v=DKIM1; k=rsa; p='] },
    'flaky._domainkey.keys.test': 'servfail',

    // Reverse DNS: one PTR pointing at a name that resolves elsewhere; 127.0.8.12 has no PTR at all.
    'ptr-ok.test': { A: ['127.0.8.10'] },
    'ptr-bad.test': { A: ['127.0.8.11'] },
    '11.8.0.127.in-addr.arpa': { PTR: ['elsewhere.test'] },
    'elsewhere.test': { A: ['127.0.8.99'] },
    'ptr-v6.test': { AAAA: ['2001:db8:8::25'] },

    // DMARC alignment of a subdomain sender whose key is published at the organisational domain.
    'strict-org.test': { TXT: ['v=spf1 -all'] },
    '_dmarc.strict-org.test': { TXT: ['v=DMARC1; p=quarantine; adkim=s; aspf=s'] },
    'clavius1._domainkey.strict-org.test': { TXT: [`v=DKIM1; k=rsa; p=${KEYS.rsa2048}`] },
    'mail.strict-org.test': { TXT: ['v=spf1 -all'] },
    'relaxed-org.test': { TXT: ['v=spf1 -all'] },
    '_dmarc.relaxed-org.test': { TXT: ['v=DMARC1; p=quarantine; adkim=r; aspf=r'] },
    'clavius1._domainkey.relaxed-org.test': { TXT: [`v=DKIM1; k=rsa; p=${KEYS.rsa2048}`] },
    'mail.relaxed-org.test': { TXT: ['v=spf1 -all'] },

    // Strict SPF alignment holds when envelope and From domain are the same: a library that is bulkReady.
    'bulk.test': { TXT: ['v=spf1 ip4:127.0.8.0/24 -all'] },
    '_dmarc.bulk.test': { TXT: ['v=DMARC1; p=reject; aspf=s; adkim=s'] },
    'clavius1._domainkey.bulk.test': { TXT: [`v=DKIM1; k=ed25519; p=${KEYS.ed25519}`] },
  };
}
