import { getDomain } from 'tldts';
import { DkimKeyResult } from './deliverability.enums';
import { DkimKey, lookupDkimKey } from './dkim';
import { DnsResolve } from './dns-types';
import { DkimReport, ServerToCheck } from './report-types';

/** RFC 7489 §3.2 organisational domain; names outside the public suffix list count as one label. */
export function organisationalDomain(domain: string): string {
  return getDomain(domain, { allowPrivateDomains: true }) ?? domain;
}

/**
 * Every selector of every server, looked up under the sender domain. A subdomain sender whose key
 * is missing there is looked up under its organisational domain as well: vendors often sign with
 * d=<organisational domain>, which passes DKIM but aligns only under relaxed DMARC alignment.
 */
export async function checkDkimKeys(servers: ServerToCheck[], domain: string, resolve: DnsResolve): Promise<DkimReport[]> {
  const org = organisationalDomain(domain);
  const keys = new Map<string, Promise<{ domain: string; key: DkimKey }>>();
  const keyFor = (selector: string) => {
    if (!keys.has(selector)) keys.set(selector, findKey(selector, domain, org, resolve));
    return keys.get(selector)!;
  };
  const checks = servers.flatMap((server) =>
    (server.dkimSelectors ?? []).map(async (selector) => {
      const found = await keyFor(selector);
      return { serverId: server.id, selector, domain: found.domain, ...found.key };
    }),
  );
  return Promise.all(checks);
}

async function findKey(selector: string, domain: string, org: string, resolve: DnsResolve): Promise<{ domain: string; key: DkimKey }> {
  const own = await lookupDkimKey(selector, domain, resolve);
  if (own.result !== DkimKeyResult.MISSING || org === domain) return { domain, key: own };
  const inherited = await lookupDkimKey(selector, org, resolve);
  return inherited.result === DkimKeyResult.MISSING ? { domain, key: own } : { domain: org, key: inherited };
}
