import { DkimKeyResult, SpfResult } from './deliverability.enums';
import { DNS_BUDGET_CODE, DnsBudget, DnsLimitError, isDnsLimitError } from './dns-budget';
import { memoizeDns } from './dns-cache';
import { DnsAnswers, DnsResolve, DnsRrType } from './dns-types';
import { checkDkimKeys } from './dkim-check';
import { dkimName } from './dkim';
import { DmarcLookup, lookupDmarc } from './dmarc';
import { gmailNotChecked, judgeGmail } from './gmail-readiness';
import { checkFailed, findings } from './findings';
import { DeliverabilityInput, DeliverabilityReport, DkimReport, Finding, ServerToCheck } from './report-types';
import { parseSender } from './sender-domain';
import { checkServer, ServerCheck, ServerCheckLimits } from './server-check';
import { lookupSpfRecords, SpfRecordLookup } from './spf-fetch';
import { validateSpfHint } from './spf-hint';
import { countSpfLookups, SPF_LOOKUP_LIMIT } from './spf-lookup-count';
import { parseSpfTerms } from './spf-record';
import { suggestSpfRecord, SuggestionServer } from './suggest-spf';

export interface DeliverabilityDeps {
  /** Typically createDnsResolver(), metered by the request's DnsBudget; every lookup of the check goes through it. */
  resolver: DnsResolve;
  now: () => Date;
  /** The request's DnsBudget: once it has refused a lookup, evaluations that need more are skipped. */
  budget?: Pick<DnsBudget, 'stopped' | 'evaluation'>;
}

/** The limit that stopped the check, if any, remembered for the finding that explains it. */
type StopCheck = () => DnsLimitError | null;
type Evaluation = ServerCheckLimits['evaluation'];

/** DNS problems end up as TEMPERROR verdicts and findings; this never rejects. */
export async function checkDeliverability(input: DeliverabilityInput, deps: DeliverabilityDeps): Promise<DeliverabilityReport> {
  const checkedAt = deps.now();
  const limits = new Map<string, Finding>();
  const stopped: StopCheck = () => {
    const limit = deps.budget?.stopped() ?? null;
    if (limit) notice(limit, limits);
    return limit;
  };
  try {
    const evaluation: Evaluation = deps.budget ? (work) => deps.budget!.evaluation(work) : (work) => work();
    const report = await runCheck(input, memoizeDns(noticingLimits(deps.resolver, limits)), checkedAt, stopped, evaluation);
    return { ...report, findings: [...report.findings, ...limits.values()] };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return emptyReport(input, checkedAt, '', [checkFailed(reason)], `check failed: ${reason}`);
  }
}

/** A refused lookup shows up as TEMPERROR where it was needed; one finding per limit says why. */
function noticingLimits(resolve: DnsResolve, limits: Map<string, Finding>): DnsResolve {
  return (<T extends DnsRrType>(name: string, rrtype: T): Promise<DnsAnswers[T]> =>
    resolve(name, rrtype).catch((err: unknown) => {
      if (isDnsLimitError(err)) notice(err, limits);
      throw err;
    })) as DnsResolve;
}

function notice(limit: DnsLimitError, limits: Map<string, Finding>): void {
  if (limits.has(limit.code)) return;
  limits.set(limit.code, limit.code === DNS_BUDGET_CODE ? findings.dnsBudgetExhausted(limit.limit) : findings.dnsRateLimited(limit.limit));
}

async function runCheck(
  input: DeliverabilityInput,
  resolve: DnsResolve,
  checkedAt: Date,
  stopped: StopCheck,
  evaluation: Evaluation,
): Promise<DeliverabilityReport> {
  const sender = parseSender(input.sender);
  if (!sender) {
    const domain =
      String(input.sender ?? '')
        .split('@')
        .pop() ?? '';
    return emptyReport(input, checkedAt, domain, [findings.senderInvalid(input.sender)], 'the sender address is not valid; SPF was not evaluated');
  }
  const { domain } = sender;
  const [spf, dmarc, checks, dkim] = await Promise.all([
    lookupSpfRecords(domain, resolve),
    lookupDmarc(domain, resolve),
    Promise.all(input.servers.map((server) => checkServer(server, sender.address, resolve, { stopped, evaluation }))),
    checkDkimKeys(input.servers, domain, resolve),
  ]);
  const records = spf.kind === 'found' ? spf.records : [];
  const single = records.length === 1 ? records[0] : null;
  const lookups = single ? await countSpfLookups(parseSpfTerms(single), resolve) : null;

  const report: Finding[] = [];
  if (input.servers.length === 0) report.push(findings.noServers());
  report.push(...spfFindings(domain, spf, checks, lookups?.count ?? null));
  const hints = hintsFor(checks, report);
  const suggestion =
    needsSuggestion(spf, checks) && !stopped()
      ? await suggestSpfRecord({ sender: sender.address, domain, records, servers: eligible(checks, hints) }, resolve)
      : { record: null, findings: [] };
  report.push(...suggestion.findings, ...dmarcFindings(domain, dmarc), ...dkimFindings(dkim, input.servers), ...reverseDnsFindings(checks));

  return {
    domain,
    spfRecord: single ?? records[0] ?? null,
    spfLookups: lookups?.complete ? lookups.count : null,
    servers: checks.map((c) => ({ serverId: c.server.id, addresses: c.addresses, result: c.result, explanation: c.explanation, reverseDns: c.reverseDns })),
    dmarcRecord: dmarc.kind === 'found' ? dmarc.record : null,
    dmarcPolicy: dmarc.kind === 'found' ? dmarc.policy : null,
    suggestedSpfRecord: suggestion.record,
    dkim,
    gmail: judgeGmail({ domain, servers: checks.map((c) => ({ server: c.server, spf: c.result, reverseDns: c.reverseDns })), dkim, dmarc }),
    findings: report,
    checkedAt,
  };
}

function spfFindings(domain: string, spf: SpfRecordLookup, checks: ServerCheck[], lookupCount: number | null): Finding[] {
  const out: Finding[] = [];
  const servers = (predicate: (c: ServerCheck) => boolean): ServerToCheck[] => checks.filter(predicate).map((c) => c.server);
  for (const check of checks) {
    if (check.problem?.kind === 'unresolved') out.push(findings.hostUnresolved(check.server, check.problem.detail));
    if (check.problem?.kind === 'temperror') out.push(findings.hostTemperror(check.server, check.problem.detail));
  }
  if (spf.kind === 'temperror') {
    out.push(
      findings.spfTemperror(
        domain,
        `TXT lookup of ${domain}: ${spf.detail}`,
        servers((c) => c.addresses.length > 0),
      ),
    );
    return out;
  }
  if (spf.records.length === 0) out.push(findings.spfMissing(domain));
  if (spf.records.length > 1) out.push(findings.spfMultiple(domain, spf.records));
  if (spf.records.length === 1) {
    for (const [reason, affected] of groupByReason(checks, SpfResult.PERMERROR)) out.push(findings.spfPermerror(domain, reason, affected));
    for (const [reason, affected] of groupByReason(checks, SpfResult.TEMPERROR)) out.push(findings.spfTemperror(domain, reason, affected));
    if (parseSpfTerms(spf.records[0]).some((t) => t.kind === 'mechanism' && t.name === 'all' && t.qualifier === '+')) out.push(findings.passAll(domain));
    if (lookupCount !== null && lookupCount > SPF_LOOKUP_LIMIT && !checks.some((c) => c.result === SpfResult.PERMERROR)) {
      out.push(findings.lookupLimitExceeded(domain, lookupCount));
    }
  }
  for (const check of checks) {
    if ([SpfResult.FAIL, SpfResult.SOFTFAIL, SpfResult.NEUTRAL].includes(check.result)) {
      const addresses = check.verdicts.filter((v) => v.result !== SpfResult.PASS).map((v) => v.address);
      out.push(findings.notAuthorized(domain, check.server, check.result, addresses));
    }
  }
  if (spf.records.length === 1 && checks.length > 0 && checks.every((c) => c.result === SpfResult.PASS)) out.push(findings.spfOk(domain));
  return out;
}

/** Several servers usually fail for one reason (say, the lookup limit); one finding per reason reads better. */
function groupByReason(checks: ServerCheck[], verdict: SpfResult.PERMERROR | SpfResult.TEMPERROR): Map<string, ServerToCheck[]> {
  const groups = new Map<string, ServerToCheck[]>();
  for (const check of checks) {
    const reasons = new Set(check.verdicts.filter((v) => v.result === verdict).map((v) => v.comment.replace(/^.*? during lookup of \S*?: /, '')));
    for (const reason of reasons) groups.set(reason, [...(groups.get(reason) ?? []), check.server]);
  }
  return groups;
}

function hintsFor(checks: ServerCheck[], report: Finding[]): Map<number, string | null> {
  const hints = new Map<number, string | null>();
  for (const { server } of checks) {
    if (server.spfHint === null || server.spfHint.trim() === '') {
      hints.set(server.id, null);
      continue;
    }
    const validation = validateSpfHint(server.spfHint);
    if (!validation.ok) report.push(findings.hintInvalid(server, validation.message.replace(/^SPF hint /, '')));
    hints.set(server.id, validation.ok ? validation.hint : null);
  }
  return hints;
}

/** A record that errors permanently has to be repaired by a person; appending terms would not help. */
function needsSuggestion(spf: SpfRecordLookup, checks: ServerCheck[]): boolean {
  if (spf.kind !== 'found') return false;
  if (spf.records.length !== 1) return true;
  return (
    !checks.some((c) => c.result === SpfResult.PERMERROR) && checks.some((c) => [SpfResult.FAIL, SpfResult.SOFTFAIL, SpfResult.NEUTRAL].includes(c.result))
  );
}

function eligible(checks: ServerCheck[], hints: Map<number, string | null>): SuggestionServer[] {
  return checks
    .filter((c) => c.addresses.length > 0 && c.result !== SpfResult.TEMPERROR)
    .map((c) => ({ server: c.server, hint: hints.get(c.server.id) ?? null, addresses: c.addresses }));
}

function dmarcFindings(domain: string, dmarc: DmarcLookup): Finding[] {
  if (dmarc.kind === 'missing') return [findings.dmarcMissing(domain)];
  if (dmarc.kind === 'temperror') return [findings.dmarcTemperror(domain, dmarc.detail)];
  return dmarc.policy === 'none' ? [findings.dmarcPolicyNone(domain)] : [];
}

/** One finding per published name: servers sharing a selector share its key. */
function dkimFindings(dkim: DkimReport[], servers: ServerToCheck[]): Finding[] {
  const byName = new Map<string, DkimReport[]>();
  for (const check of dkim) byName.set(dkimName(check.selector, check.domain), [...(byName.get(dkimName(check.selector, check.domain)) ?? []), check]);
  return [...byName].flatMap(([name, checks]): Finding[] => {
    const [{ result, selector, domain, keyBits, detail }] = checks;
    if (result === DkimKeyResult.MISSING)
      return [
        findings.dkimMissing(
          selector,
          domain,
          servers.filter((s) => checks.some((c) => c.serverId === s.id)),
        ),
      ];
    if (result === DkimKeyResult.WEAK) return [findings.dkimWeak(name, keyBits ?? 0)];
    if (result === DkimKeyResult.INVALID) return [findings.dkimInvalid(name, detail ?? 'unreadable')];
    if (result === DkimKeyResult.TEMPERROR) return [findings.dkimTemperror(name, detail ?? 'DNS error')];
    return [];
  });
}

/** One finding per address: two servers on one host share its reverse DNS. */
function reverseDnsFindings(checks: ServerCheck[]): Finding[] {
  const byAddress = new Map<string, { ptr: string | null; temperror: string | null; servers: ServerToCheck[] }>();
  for (const check of checks) {
    for (const r of check.reverseDns.filter((x) => !x.forwardConfirmed)) {
      const seen = byAddress.get(r.address) ?? { ptr: r.ptr, temperror: r.temperror, servers: [] };
      byAddress.set(r.address, { ...seen, servers: [...seen.servers, check.server] });
    }
  }
  return [...byAddress].map(([address, { ptr, temperror, servers }]) =>
    temperror ? findings.reverseDnsTemperror(address, temperror) : findings.reverseDnsNotConfirmed(address, ptr, servers),
  );
}

function emptyReport(input: DeliverabilityInput, checkedAt: Date, domain: string, found: Finding[], explanation: string): DeliverabilityReport {
  return {
    domain,
    spfRecord: null,
    spfLookups: null,
    servers: (input.servers ?? []).map((s) => ({ serverId: s.id, addresses: [], result: SpfResult.NONE, explanation, reverseDns: [] })),
    dmarcRecord: null,
    dmarcPolicy: null,
    suggestedSpfRecord: null,
    dkim: [],
    gmail: gmailNotChecked(explanation),
    findings: found,
    checkedAt,
  };
}
