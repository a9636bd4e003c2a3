import { isVoidDnsError } from './dns-errors';
import { DnsResolve } from './dns-types';
import { costsLookup, parseSpfTerms, spfRecordsFrom, SpfTerm } from './spf-record';

export const SPF_LOOKUP_LIMIT = 10;

export interface LookupCount {
  /** Counting stops once it passes the limit (include loops would never end), so any value above 10 means "too many". */
  count: number;
  /** False when a DNS failure hid part of the tree. */
  complete: boolean;
}

/**
 * Counts every lookup-costing term of the whole include/redirect tree, independent of which
 * client address is being checked: the RFC evaluation stops at the first match, so a record can
 * pass for one server and still break the limit for another.
 */
export async function countSpfLookups(terms: SpfTerm[], resolve: DnsResolve): Promise<LookupCount> {
  const state = { count: 0, complete: true };
  await countTerms(terms, resolve, state);
  return state;
}

async function countTerms(terms: SpfTerm[], resolve: DnsResolve, state: LookupCount): Promise<void> {
  for (const term of terms) {
    if (state.count > SPF_LOOKUP_LIMIT) return;
    if (!costsLookup(term)) continue;
    state.count += 1;
    const nested = term.name === 'include' || term.name === 'redirect';
    if (nested && !term.value.includes('%')) await countTarget(term.value.replace(/\.$/, ''), resolve, state);
  }
}

async function countTarget(domain: string, resolve: DnsResolve, state: LookupCount): Promise<void> {
  let txt: string[][];
  try {
    txt = await resolve(domain, 'TXT');
  } catch (err) {
    if (!isVoidDnsError(err)) state.complete = false;
    return;
  }
  const records = spfRecordsFrom(txt);
  if (records.length === 1) await countTerms(parseSpfTerms(records[0]), resolve, state);
}
