import { SpfResult } from './deliverability.enums';
import { DnsResolve } from './dns-types';
import { findings } from './findings';
import { Finding, ServerToCheck } from './report-types';
import { AddressVerdict, evaluateSpf, withSpfRecord } from './spf-evaluate';
import { countSpfLookups, SPF_LOOKUP_LIMIT } from './spf-lookup-count';
import { ipTerm, parseSpfTerm, parseSpfTerms, termKey } from './spf-record';

export interface SuggestionServer {
  server: ServerToCheck;
  /** Already validated; null when the server has none or it was unusable. */
  hint: string | null;
  addresses: string[];
}

export interface SuggestionInput {
  sender: string;
  domain: string;
  /** The domain's current SPF records (0, 1 or several). */
  records: string[];
  /** Servers whose addresses are known; those the record should authorise. */
  servers: SuggestionServer[];
}

export interface Suggestion {
  record: string | null;
  findings: Finding[];
}

interface Skeleton {
  mechanisms: string[];
  all: string | null;
  modifiers: string[];
}

/**
 * Every candidate is evaluated by mailauth against the real DNS (with only the domain's own record
 * replaced), so a suggestion is only offered in the form that was seen to work.
 */
export async function suggestSpfRecord(input: SuggestionInput, resolve: DnsResolve): Promise<Suggestion> {
  const notes: Finding[] = [];
  const skeleton = await skeletonFor(input, resolve);
  const baseline = await evaluateAll(input, skeleton, [], resolve);
  const needy = input.servers.filter((s) => failing(baseline, s).length > 0);
  if (needy.length === 0 && input.records.length === 1) return { record: null, findings: [] };

  const present = new Set(skeleton.mechanisms.map((t) => termKey(parseSpfTerm(t))));
  let lookups = (await countSpfLookups(skeleton.mechanisms.map(parseSpfTerm), resolve)).count;
  const useAddresses = new Set<number>();
  const planned = new Set<string>();
  for (const entry of needy) {
    const key = entry.hint ? termKey(parseSpfTerm(entry.hint)) : '';
    if (!entry.hint) {
      useAddresses.add(entry.server.id);
    } else if (planned.has(key)) {
      continue;
    } else if (present.has(key)) {
      useAddresses.add(entry.server.id);
      notes.push(findings.hintIneffective(entry.server, entry.hint, failing(baseline, entry)));
    } else {
      const cost = (await countSpfLookups([parseSpfTerm(entry.hint)], resolve)).count;
      if (lookups + cost > SPF_LOOKUP_LIMIT) {
        useAddresses.add(entry.server.id);
        notes.push(findings.usesAddresses(entry.server, entry.hint, lookups + cost));
      } else {
        lookups += cost;
        planned.add(key);
      }
    }
  }

  const additions = (): string[] =>
    needy.flatMap((entry) => (useAddresses.has(entry.server.id) ? failing(baseline, entry).map(ipTerm) : [entry.hint as string]));
  let outcome = await evaluateAll(input, skeleton, additions(), resolve);
  const ineffective = needy.filter((e) => !useAddresses.has(e.server.id) && failing(outcome, e).length > 0);
  if (ineffective.length > 0) {
    for (const entry of ineffective) {
      useAddresses.add(entry.server.id);
      notes.push(findings.hintIneffective(entry.server, entry.hint as string, failing(outcome, entry)));
    }
    outcome = await evaluateAll(input, skeleton, additions(), resolve);
  }
  for (const entry of input.servers) {
    const stillFailing = failing(outcome, entry);
    if (stillFailing.length > 0) notes.push(findings.suggestionIncomplete(entry.server, stillFailing));
  }

  const record = assemble(skeleton, additions());
  const unchanged = input.records.length === 1 && sameRecord(record, input.records[0]);
  const empty = input.records.length === 0 && parseSpfTerms(record).length === 1;
  return { record: unchanged || empty ? null : record, findings: unchanged || empty ? [] : notes };
}

async function skeletonFor(input: SuggestionInput, resolve: DnsResolve): Promise<Skeleton> {
  if (input.records.length === 0) {
    return { mechanisms: (await hasMx(input.domain, resolve)) ? ['mx'] : [], all: '~all', modifiers: [] };
  }
  // Several records are merged in order; the first one's "all" keeps deciding the policy.
  const skeleton: Skeleton = { mechanisms: [], all: null, modifiers: [] };
  const seen = new Set<string>();
  for (const term of input.records.flatMap(parseSpfTerms)) {
    const key = termKey(term);
    if (seen.has(key)) continue;
    seen.add(key);
    if (term.kind === 'mechanism' && term.name === 'all') skeleton.all ??= term.raw;
    else if (term.kind === 'modifier' && !skeleton.modifiers.some((m) => parseSpfTerm(m).name === term.name)) skeleton.modifiers.push(term.raw);
    else if (term.kind === 'mechanism') skeleton.mechanisms.push(term.raw);
  }
  return skeleton;
}

async function hasMx(domain: string, resolve: DnsResolve): Promise<boolean> {
  try {
    return (await resolve(domain, 'MX')).length > 0;
  } catch {
    return false;
  }
}

function assemble(skeleton: Skeleton, additions: string[]): string {
  const keys = new Set(skeleton.mechanisms.map((t) => termKey(parseSpfTerm(t))));
  const added = additions.filter((term) => {
    const key = termKey(parseSpfTerm(term));
    if (keys.has(key)) return false;
    keys.add(key);
    return true;
  });
  return ['v=spf1', ...skeleton.mechanisms, ...added, ...(skeleton.all ? [skeleton.all] : []), ...skeleton.modifiers].join(' ');
}

type Outcome = Map<number, AddressVerdict[]>;

async function evaluateAll(input: SuggestionInput, skeleton: Skeleton, additions: string[], resolve: DnsResolve): Promise<Outcome> {
  const candidate = withSpfRecord(resolve, input.domain, assemble(skeleton, additions));
  const outcome: Outcome = new Map();
  await Promise.all(
    input.servers.map(async (entry) => {
      const verdicts = await Promise.all(entry.addresses.map((a) => evaluateSpf(input.sender, a, candidate)));
      outcome.set(entry.server.id, verdicts);
    }),
  );
  return outcome;
}

function failing(outcome: Outcome, entry: SuggestionServer): string[] {
  return (outcome.get(entry.server.id) ?? []).filter((v) => v.result !== SpfResult.PASS).map((v) => v.address);
}

function sameRecord(a: string, b: string): boolean {
  return a.trim().split(/\s+/).join(' ').toLowerCase() === b.trim().split(/\s+/).join(' ').toLowerCase();
}
