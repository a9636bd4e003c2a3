import { ProblemSeverity } from '../mail.enums';
import { SpfResult } from './deliverability.enums';
import type { DkimKey } from './dkim';

export type FindingCode =
  | 'SENDER_INVALID'
  | 'NO_SERVERS'
  | 'SERVER_HOST_UNRESOLVED'
  | 'SERVER_HOST_TEMPERROR'
  | 'SPF_MISSING'
  | 'SPF_MULTIPLE_RECORDS'
  | 'SPF_PERMERROR'
  | 'SPF_TEMPERROR'
  | 'SPF_SERVER_NOT_AUTHORIZED'
  | 'SPF_PASS_ALL'
  | 'SPF_LOOKUP_LIMIT_EXCEEDED'
  | 'SPF_OK'
  | 'SPF_HINT_INVALID'
  | 'SPF_HINT_INEFFECTIVE'
  | 'SPF_SUGGESTION_USES_ADDRESSES'
  | 'SPF_SUGGESTION_INCOMPLETE'
  | 'DMARC_MISSING'
  | 'DMARC_TEMPERROR'
  | 'DMARC_POLICY_NONE'
  | 'DKIM_KEY_MISSING'
  | 'DKIM_KEY_WEAK'
  | 'DKIM_KEY_INVALID'
  | 'DKIM_TEMPERROR'
  | 'REVERSE_DNS_NOT_CONFIRMED'
  | 'REVERSE_DNS_TEMPERROR'
  | 'DNS_BUDGET_EXHAUSTED'
  | 'DNS_RATE_LIMITED'
  | 'CHECK_FAILED';

export interface Finding {
  severity: ProblemSeverity;
  code: FindingCode;
  message: string;
}

export interface ServerToCheck {
  id: number;
  name: string;
  host: string;
  spfHint: string | null;
  /** Selectors the server signs with; none when absent. */
  dkimSelectors?: string[];
}

export interface DeliverabilityInput {
  sender: string;
  servers: ServerToCheck[];
}

export interface ServerReport {
  serverId: number;
  addresses: string[];
  result: SpfResult;
  explanation: string;
  reverseDns: ReverseDns[];
}

export interface DkimReport extends DkimKey {
  serverId: number;
  selector: string;
  /** Where the key was found: the sender domain, or its organisational domain when only that one has it. */
  domain: string;
}

export interface ReverseDns {
  address: string;
  /** The PTR name that confirmed, else the first one published; null when there is none. */
  ptr: string | null;
  forwardConfirmed: boolean;
  /** DNS trouble that left the answer unknown. */
  temperror: string | null;
}

export type GmailRequirementCode = 'SPF_OR_DKIM' | 'REVERSE_DNS' | 'SPF_AND_DKIM' | 'DMARC_RECORD' | 'DMARC_ALIGNED';

export interface GmailRequirement {
  code: GmailRequirementCode;
  met: boolean;
  /** Only for senders of more than 5,000 messages a day to Gmail. */
  bulkOnly: boolean;
  message: string;
}

export interface GmailReadiness {
  ready: boolean;
  bulkReady: boolean;
  requirements: GmailRequirement[];
}

export interface DeliverabilityReport {
  domain: string;
  spfRecord: string | null;
  /** DNS-querying terms of the whole include tree; above 10 is a permerror; null when unknown. */
  spfLookups: number | null;
  servers: ServerReport[];
  dmarcRecord: string | null;
  dmarcPolicy: string | null;
  suggestedSpfRecord: string | null;
  dkim: DkimReport[];
  gmail: GmailReadiness;
  findings: Finding[];
  checkedAt: Date;
}

/** Ordered from best to worst, so "worst over the addresses" is a max. */
export const VERDICT_RANK: Record<SpfResult, number> = {
  [SpfResult.PASS]: 0,
  [SpfResult.NONE]: 1,
  [SpfResult.NEUTRAL]: 2,
  [SpfResult.SOFTFAIL]: 3,
  [SpfResult.TEMPERROR]: 4,
  [SpfResult.PERMERROR]: 5,
  [SpfResult.FAIL]: 6,
};

export function worstVerdict(verdicts: SpfResult[]): SpfResult | null {
  return verdicts.reduce<SpfResult | null>((worst, v) => (worst === null || VERDICT_RANK[v] > VERDICT_RANK[worst] ? v : worst), null);
}
