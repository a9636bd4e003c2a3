import { describeDnsError } from './dns-errors';
import { DnsResolve } from './dns-types';
import { mailauthResolver } from './spf-evaluate';

type GetDmarcRecord = (
  domain: string,
  resolver: unknown,
) => Promise<false | { rr: string; p?: string; sp?: string; aspf?: string; adkim?: string; isOrgRecord: boolean }>;

/** RFC 7489 §3.1: relaxed unless the record asks for strict. */
export type AlignmentMode = 'relaxed' | 'strict';

// Untyped internal module of mailauth; reused for its organisational-domain fallback (RFC 7489 §6.6.3).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module has no type declarations to import
const getDmarcRecord: GetDmarcRecord = require('mailauth/lib/dmarc/get-dmarc-record');

export type DmarcLookup =
  | { kind: 'found'; record: string; policy: string | null; fromOrganizationalDomain: boolean; aspf: AlignmentMode; adkim: AlignmentMode }
  | { kind: 'missing' }
  | { kind: 'temperror'; detail: string };

const mode = (tag: string | undefined): AlignmentMode => (tag?.trim().toLowerCase() === 's' ? 'strict' : 'relaxed');

export async function lookupDmarc(domain: string, resolve: DnsResolve): Promise<DmarcLookup> {
  try {
    const found = await getDmarcRecord(domain, mailauthResolver(resolve));
    if (!found) return { kind: 'missing' };
    // A subdomain that inherits the organisational record is governed by sp= when present.
    const policy = (found.isOrgRecord && found.sp ? found.sp : found.p)?.trim().toLowerCase() || null;
    return { kind: 'found', record: found.rr, policy, fromOrganizationalDomain: found.isOrgRecord, aspf: mode(found.aspf), adkim: mode(found.adkim) };
  } catch (err) {
    return { kind: 'temperror', detail: describeDnsError(err) };
  }
}
