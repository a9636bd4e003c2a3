import { ProblemSeverity } from '../mail.enums';
import { SpfResult } from './deliverability.enums';
import { Finding, ServerToCheck } from './report-types';
import { dkimName } from './dkim';

const label = (server: ServerToCheck): string => `"${server.name}" (${server.host})`;

export const findings = {
  senderInvalid: (sender: string): Finding => ({
    severity: ProblemSeverity.ERROR,
    code: 'SENDER_INVALID',
    message: `The sender address "${sender}" is not a valid e-mail address, so its domain's SPF and DMARC cannot be checked.`,
  }),

  noServers: (): Finding => ({
    severity: ProblemSeverity.INFO,
    code: 'NO_SERVERS',
    message: 'No SMTP server was given, so no sending address could be checked against SPF.',
  }),

  hostUnresolved: (server: ServerToCheck, detail: string): Finding => ({
    severity: ProblemSeverity.ERROR,
    code: 'SERVER_HOST_UNRESOLVED',
    message: `SMTP server ${label(server)}: the host name does not resolve to any IPv4 or IPv6 address (${detail}). Mail cannot be sent through it and its SPF authorisation cannot be checked.`,
  }),

  hostTemperror: (server: ServerToCheck, detail: string): Finding => ({
    severity: ProblemSeverity.WARNING,
    code: 'SERVER_HOST_TEMPERROR',
    message: `SMTP server ${label(server)}: looking up its addresses failed temporarily (${detail}), so the check may have missed some of them. Retry later.`,
  }),

  spfMissing: (domain: string): Finding => ({
    severity: ProblemSeverity.ERROR,
    code: 'SPF_MISSING',
    message:
      `The sender domain ${domain} publishes no SPF record. This is the most common cause of undelivered mail: ` +
      'since 2022 Google and other large mailbox providers reject or junk mail from domains without SPF, especially mail to gmail.com. ' +
      `The fault is in the DNS of ${domain}, not in the library system: the domain's administrator must publish an SPF record ` +
      'that authorises the sending servers (see the suggested record).',
  }),

  spfMultiple: (domain: string, records: string[]): Finding => ({
    severity: ProblemSeverity.ERROR,
    code: 'SPF_MULTIPLE_RECORDS',
    message:
      `The sender domain ${domain} publishes ${records.length} SPF records (${records.map((r) => `"${r}"`).join(', ')}). ` +
      'RFC 7208 allows exactly one, so receivers treat SPF as a permanent error for every message. Merge them into one record (see the suggested record).',
  }),

  spfPermerror: (domain: string, reason: string, servers: ServerToCheck[]): Finding => ({
    severity: ProblemSeverity.ERROR,
    code: 'SPF_PERMERROR',
    message:
      `The SPF record of ${domain} cannot be evaluated (permanent error: ${reason}) for ${servers.map(label).join(', ')}. ` +
      `${permerrorAdvice(reason)}Receivers treat a broken record like a failing one; it has to be fixed by hand, so no record is suggested.`,
  }),

  spfTemperror: (domain: string, reason: string, servers: ServerToCheck[]): Finding => ({
    severity: ProblemSeverity.WARNING,
    code: 'SPF_TEMPERROR',
    message:
      `The SPF check of ${domain} could not finish because of DNS trouble (${reason})` +
      (servers.length > 0 ? ` for ${servers.map(label).join(', ')}` : '') +
      '. This is not a verdict on the configuration: retry the check later.',
  }),

  notAuthorized: (domain: string, server: ServerToCheck, verdict: SpfResult, addresses: string[]): Finding => ({
    severity: verdict === SpfResult.FAIL ? ProblemSeverity.ERROR : ProblemSeverity.WARNING,
    code: 'SPF_SERVER_NOT_AUTHORIZED',
    message:
      `SMTP server ${label(server)} sends from ${addresses.join(', ')}, which the SPF record of ${domain} does not authorise ` +
      `(result: ${verdict.toLowerCase()}). ${consequence(verdict)} Add the server to the domain's SPF record (see the suggested record) ` +
      'or send only through a server the domain authorises.',
  }),

  passAll: (domain: string): Finding => ({
    severity: ProblemSeverity.WARNING,
    code: 'SPF_PASS_ALL',
    message: `The SPF record of ${domain} ends in "+all", which authorises every server on the internet and makes SPF worthless; end it in "~all" or "-all".`,
  }),

  lookupLimitExceeded: (domain: string, count: number): Finding => ({
    severity: ProblemSeverity.WARNING,
    code: 'SPF_LOOKUP_LIMIT_EXCEEDED',
    message:
      `The SPF record of ${domain} needs more than 10 DNS lookups (counted ${count} before stopping) across its includes. ` +
      'The checked servers happen to match before the limit is reached, but mail from other senders of the domain gets a permanent error; replace some includes with ip4:/ip6: ranges.',
  }),

  spfOk: (domain: string): Finding => ({
    severity: ProblemSeverity.INFO,
    code: 'SPF_OK',
    message: `The SPF record of ${domain} authorises every checked SMTP server.`,
  }),

  hintInvalid: (server: ServerToCheck, problem: string): Finding => ({
    severity: ProblemSeverity.WARNING,
    code: 'SPF_HINT_INVALID',
    message: `SMTP server ${label(server)} has an unusable SPF hint "${server.spfHint}": ${problem}. The suggestion uses the server's addresses instead.`,
  }),

  hintIneffective: (server: ServerToCheck, hint: string, addresses: string[]): Finding => ({
    severity: ProblemSeverity.WARNING,
    code: 'SPF_HINT_INEFFECTIVE',
    message: `The SPF hint "${hint}" of SMTP server ${label(server)} does not authorise its address(es) ${addresses.join(', ')}, so the suggestion lists the addresses instead. Check the hint with the server's operator.`,
  }),

  usesAddresses: (server: ServerToCheck, hint: string, total: number): Finding => ({
    severity: ProblemSeverity.WARNING,
    code: 'SPF_SUGGESTION_USES_ADDRESSES',
    message:
      `Adding "${hint}" for SMTP server ${label(server)} would raise the record to ${total} DNS lookups, over the limit of 10, ` +
      "so the suggestion lists the server's ip4:/ip6: addresses instead. They must be updated whenever the server's addresses change.",
  }),

  suggestionIncomplete: (server: ServerToCheck, addresses: string[]): Finding => ({
    severity: ProblemSeverity.WARNING,
    code: 'SPF_SUGGESTION_INCOMPLETE',
    message: `Even the suggested record does not authorise SMTP server ${label(server)} at ${addresses.join(', ')} (an earlier term of the record rejects it); the record needs a manual review.`,
  }),

  dkimMissing: (selector: string, domain: string, servers: ServerToCheck[]): Finding => ({
    severity: ProblemSeverity.WARNING,
    code: 'DKIM_KEY_MISSING',
    message:
      `SMTP server(s) ${servers.map(label).join(', ')} sign with DKIM selector "${selector}", but no key is published for ${domain}: ` +
      `publish a TXT record at ${dkimName(selector, domain)}. The mail vendor (the server's operator) gives its value; without it the signatures fail.`,
  }),

  dkimWeak: (name: string, bits: number): Finding => ({
    severity: ProblemSeverity.ERROR,
    code: 'DKIM_KEY_WEAK',
    message: `The DKIM key at ${name} has only ${bits} bits; Gmail and other receivers refuse RSA keys under 1024 bits. Ask the mail vendor for a 2048-bit key and publish it instead.`,
  }),

  dkimInvalid: (name: string, detail: string): Finding => ({
    severity: ProblemSeverity.ERROR,
    code: 'DKIM_KEY_INVALID',
    message: `The DKIM record at ${name} holds no usable key (${detail}), so signatures made with it fail. Publish again exactly the value the mail vendor gives.`,
  }),

  dkimTemperror: (name: string, detail: string): Finding => ({
    severity: ProblemSeverity.WARNING,
    code: 'DKIM_TEMPERROR',
    message: `The DKIM key at ${name} could not be looked up (${detail}). This is not a verdict: retry the check later.`,
  }),

  reverseDnsNotConfirmed: (address: string, ptr: string | null, servers: ServerToCheck[]): Finding => ({
    severity: ProblemSeverity.WARNING,
    code: 'REVERSE_DNS_NOT_CONFIRMED',
    message:
      `Address ${address} of SMTP server(s) ${servers.map(label).join(', ')} ` +
      (ptr ? `has the PTR name ${ptr}, which does not resolve back to ${address}. ` : 'has no PTR (reverse DNS) record. ') +
      "Gmail requires forward-confirmed reverse DNS for every sending address. This is fixed by the server's operator (whoever runs the server and its IP addresses), not by the library.",
  }),

  reverseDnsTemperror: (address: string, detail: string): Finding => ({
    severity: ProblemSeverity.WARNING,
    code: 'REVERSE_DNS_TEMPERROR',
    message: `The reverse DNS of ${address} could not be checked (${detail}). This is not a verdict: retry the check later.`,
  }),

  dnsBudgetExhausted: (limit: number): Finding => ({
    severity: ProblemSeverity.WARNING,
    code: 'DNS_BUDGET_EXHAUSTED',
    message:
      `This request used up its budget of ${limit} DNS queries (DNS_LOOKUPS_PER_REQUEST), so the checks reported as TEMPERROR could not finish. ` +
      'This is not a verdict on the configuration: ask for fewer deliverability reports in one request, or retry.',
  }),

  dnsRateLimited: (limit: number): Finding => ({
    severity: ProblemSeverity.WARNING,
    code: 'DNS_RATE_LIMITED',
    message:
      `This caller reached its limit of ${limit} DNS queries per minute (DNS_LOOKUPS_PER_MINUTE), so the checks reported as TEMPERROR could not finish. ` +
      'This is not a verdict on the configuration: retry in a minute.',
  }),

  dmarcMissing: (domain: string): Finding => ({
    severity: ProblemSeverity.WARNING,
    code: 'DMARC_MISSING',
    message:
      `The sender domain ${domain} publishes no DMARC record (TXT at _dmarc.${domain}). Google, Yahoo and Microsoft require DMARC ` +
      'from bulk senders and trust mail without it less; publish at least "v=DMARC1; p=none".',
  }),

  dmarcTemperror: (domain: string, reason: string): Finding => ({
    severity: ProblemSeverity.WARNING,
    code: 'DMARC_TEMPERROR',
    message: `The DMARC record of ${domain} could not be looked up (${reason}). This is not a verdict: retry the check later.`,
  }),

  dmarcPolicyNone: (domain: string): Finding => ({
    severity: ProblemSeverity.INFO,
    code: 'DMARC_POLICY_NONE',
    message: `The DMARC policy of ${domain} is p=none: receivers only report failures and do not act on them.`,
  }),
};

function consequence(verdict: SpfResult): string {
  if (verdict === SpfResult.FAIL) return 'Receivers are told to reject its mail.';
  if (verdict === SpfResult.SOFTFAIL) return 'Receivers usually accept its mail but mark it as suspicious or junk.';
  return 'Receivers treat its mail as unauthenticated.';
}

function permerrorAdvice(reason: string): string {
  if (/too many dns requests/i.test(reason)) {
    return 'SPF allows at most 10 DNS-querying terms (include, a, mx, ptr, exists, redirect) counted across all nested includes (an include loop always exceeds it); remove includes or replace them with ip4:/ip6: ranges. ';
  }
  if (/void/i.test(reason)) {
    return 'At most 2 of those lookups may find no records (RFC 7208 §4.6.4); remove terms that point at names without records. ';
  }
  return '';
}

export const checkFailed = (reason: string): Finding => ({
  severity: ProblemSeverity.ERROR,
  code: 'CHECK_FAILED',
  message: `The deliverability check stopped unexpectedly (${reason}); retry it later.`,
});
