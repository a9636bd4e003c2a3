import { spf } from 'mailauth/lib/spf';
import type { DNSResolver } from 'mailauth';
import { describeDnsError, errorCode, isVoidDnsError } from './dns-errors';
import { DnsResolve, DnsRrType } from './dns-types';
import { SpfResult } from './deliverability.enums';
import { toTxtStrings } from './spf-record';

export interface AddressVerdict {
  address: string;
  result: SpfResult;
  /** mailauth's reason, e.g. "domain of a@xyz.cz designates 192.0.2.1 as permitted sender". */
  comment: string;
}

const MTA = 'deliverability-check';

/**
 * mailauth only recognises ETIMEOUT and EREFUSED as temporary; any other failure inside an
 * include: is silently skipped as if the include did not match, which would turn a DNS outage
 * into a FAIL verdict. Tagging the error with spfResult makes mailauth report temperror instead.
 * Every rejection is a fresh object because mailauth writes its verdict onto the error it gets.
 */
export function mailauthResolver(resolve: DnsResolve): DNSResolver {
  return (async (name: string, rrtype: string) => {
    try {
      return await resolve(name, rrtype as DnsRrType);
    } catch (err) {
      const code = errorCode(err) ?? 'EUNKNOWN';
      const copy = Object.assign(new Error(err instanceof Error ? err.message : String(err)), { code });
      if (isVoidDnsError(err)) throw copy;
      const limitReason = (err as { limitReason?: unknown }).limitReason;
      throw Object.assign(copy, {
        ...(typeof limitReason === 'string' ? { limitReason } : {}),
        spfResult: { error: 'temperror', text: `${rrtype} lookup of ${name}: ${describeDnsError(err)}` },
      });
    }
  }) as DNSResolver;
}

/** Serves `record` as the only SPF record of `domain`, to test a proposed record before anyone publishes it. */
export function withSpfRecord(resolve: DnsResolve, domain: string, record: string): DnsResolve {
  const target = domain.toLowerCase();
  return (async (name: string, rrtype: DnsRrType) => {
    if (rrtype === 'TXT' && name.toLowerCase().replace(/\.$/, '') === target) return [toTxtStrings(record)];
    return resolve(name, rrtype);
  }) as DnsResolve;
}

export async function evaluateSpf(sender: string, address: string, resolve: DnsResolve): Promise<AddressVerdict> {
  try {
    const outcome = await spf({ sender, ip: address, mta: MTA, resolver: mailauthResolver(resolve) });
    const result = spfResultOf(outcome.status.result);
    const comment = (outcome.status.comment ?? '').replace(`${MTA}: `, '');
    return { address, result, comment };
  } catch (err) {
    return { address, result: SpfResult.TEMPERROR, comment: `SPF evaluation failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

const MAILAUTH_RESULTS = new Map<string, SpfResult>([
  ['pass', SpfResult.PASS],
  ['fail', SpfResult.FAIL],
  ['softfail', SpfResult.SOFTFAIL],
  ['neutral', SpfResult.NEUTRAL],
  ['none', SpfResult.NONE],
  ['temperror', SpfResult.TEMPERROR],
  ['temperr', SpfResult.TEMPERROR],
  ['permerror', SpfResult.PERMERROR],
]);

/** mailauth's result word; one it might add later is no conclusion, so a temporary error. */
function spfResultOf(word: string): SpfResult {
  return MAILAUTH_RESULTS.get(word.toLowerCase()) ?? SpfResult.TEMPERROR;
}
