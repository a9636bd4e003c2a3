import type { DnsLimitError } from './dns-budget';
import { DnsResolve } from './dns-types';
import { SpfResult } from './deliverability.enums';
import { ReverseDns, ServerToCheck, worstVerdict } from './report-types';
import { checkReverseDns } from './reverse-dns';
import { resolveServerAddresses, ServerAddresses } from './server-addresses';
import { AddressVerdict, evaluateSpf } from './spf-evaluate';

export interface ServerCheck {
  server: ServerToCheck;
  addresses: string[];
  problem: ServerAddresses['problem'];
  verdicts: AddressVerdict[];
  result: SpfResult;
  explanation: string;
  reverseDns: ReverseDns[];
}

export interface ServerCheckLimits {
  /** The DNS limit the request has hit, if any. */
  stopped: () => DnsLimitError | null;
  /** Runs an SPF evaluation within the request's concurrency. */
  evaluation: <T>(work: () => Promise<T>) => Promise<T>;
}

const UNLIMITED: ServerCheckLimits = { stopped: () => null, evaluation: (work) => work() };

export async function checkServer(server: ServerToCheck, sender: string, resolve: DnsResolve, limits: ServerCheckLimits = UNLIMITED): Promise<ServerCheck> {
  const { addresses, problem } = await resolveServerAddresses(server.host, resolve);
  const [verdicts, reverseDns] = await Promise.all([
    Promise.all(addresses.map((address) => limits.evaluation(() => evaluateUnlessStopped(sender, address, resolve, limits.stopped)))),
    Promise.all(addresses.map((address) => checkReverseDns(address, resolve))),
  ]);
  // Addresses we could not learn might be the ones that fail, so a partial lookup caps the verdict at TEMPERROR.
  const result = worstVerdict([...verdicts.map((v) => v.result), ...(problem ? [SpfResult.TEMPERROR] : [])]) ?? SpfResult.TEMPERROR;
  return { server, addresses, problem, verdicts, result, explanation: explain(server, verdicts, problem), reverseDns };
}

/** Past a DNS limit the evaluation could only end in refused lookups; skipping it keeps such a request cheap. */
function evaluateUnlessStopped(sender: string, address: string, resolve: DnsResolve, stopped: () => DnsLimitError | null): Promise<AddressVerdict> {
  const limit = stopped();
  if (limit) return Promise.resolve({ address, result: SpfResult.TEMPERROR, comment: `not evaluated: ${limit.limitReason}` });
  return evaluateSpf(sender, address, resolve);
}

function explain(server: ServerToCheck, verdicts: AddressVerdict[], problem: ServerAddresses['problem']): string {
  const parts = verdicts.map((v) => `${v.address}: ${v.result.toLowerCase()} (${v.comment})`);
  if (problem?.kind === 'unresolved') parts.push(`host ${server.host} has no IPv4 or IPv6 address (${problem.detail}); SPF was not evaluated`);
  if (problem?.kind === 'temperror') {
    const consequence = verdicts.length > 0 ? 'some addresses may be missing' : 'SPF was not evaluated';
    parts.push(`looking up the addresses of ${server.host} failed (${problem.detail}); ${consequence}`);
  }
  return parts.join('; ');
}
