import { DkimKeyResult, SpfResult } from './deliverability.enums';
import { organisationalDomain } from './dkim-check';
import { AlignmentMode, DmarcLookup } from './dmarc';
import { DkimReport, GmailReadiness, GmailRequirement, ReverseDns, ServerToCheck } from './report-types';

export interface GmailServer {
  server: ServerToCheck;
  spf: SpfResult;
  reverseDns: ReverseDns[];
}

export interface GmailInput {
  /** The sender domain: envelope sender and From header use the same address here. */
  domain: string;
  /** The whole chain: the first server and every server that could send after a failover. */
  servers: GmailServer[];
  dkim: DkimReport[];
  dmarc: DmarcLookup;
}

const SIGNATURES = '(The gateway cannot see signatures: "DKIM passing" here means a valid key is published under a selector the server signs with.)';
const label = (server: ServerToCheck): string => `"${server.name}" (${server.host})`;
const names = (servers: GmailServer[]): string => servers.map((s) => label(s.server)).join(', ');

/** Google's sender guidelines (support.google.com/mail/answer/81126), judged for every server of the chain. */
export function judgeGmail(input: GmailInput): GmailReadiness {
  const requirements = [spfOrDkim(input), reverseDns(input), spfAndDkim(input), dmarcRecord(input), dmarcAligned(input)];
  return {
    ready: requirements.every((r) => r.met || r.bulkOnly),
    bulkReady: requirements.every((r) => r.met),
    requirements,
  };
}

/** Requirements of a report that could not be checked (no valid sender): none is met. */
export function gmailNotChecked(reason: string): GmailReadiness {
  const codes: Array<[GmailRequirement['code'], boolean]> = [
    ['SPF_OR_DKIM', false],
    ['REVERSE_DNS', false],
    ['SPF_AND_DKIM', true],
    ['DMARC_RECORD', true],
    ['DMARC_ALIGNED', true],
  ];
  return {
    ready: false,
    bulkReady: false,
    requirements: codes.map(([code, bulkOnly]) => ({ code, met: false, bulkOnly, message: `Not checked: ${reason}.` })),
  };
}

const validKeys = (input: GmailInput, server: GmailServer): DkimReport[] =>
  input.dkim.filter((k) => k.serverId === server.server.id && k.result === DkimKeyResult.VALID);
const spfPasses = (server: GmailServer): boolean => server.spf === SpfResult.PASS;

function requirement(code: GmailRequirement['code'], bulkOnly: boolean, met: boolean, message: string): GmailRequirement {
  const scope = bulkOnly ? 'Senders of more than 5,000 messages a day to Gmail' : 'Every sender to Gmail';
  return { code, met, bulkOnly, message: `${scope}: ${message}` };
}

function noServers(code: GmailRequirement['code'], bulkOnly: boolean): GmailRequirement {
  return requirement(code, bulkOnly, false, 'no SMTP server is configured, so nothing sends this mail.');
}

function spfOrDkim(input: GmailInput): GmailRequirement {
  if (input.servers.length === 0) return noServers('SPF_OR_DKIM', false);
  const failing = input.servers.filter((s) => !spfPasses(s) && validKeys(input, s).length === 0);
  if (failing.length === 0) {
    return requirement('SPF_OR_DKIM', false, true, `every server of the chain passes SPF or DKIM for ${input.domain}. ${SIGNATURES}`);
  }
  return requirement(
    'SPF_OR_DKIM',
    false,
    false,
    `SMTP server(s) ${names(failing)} pass neither SPF nor DKIM for ${input.domain}, so Gmail may reject or junk their mail. ` +
      `The administrator of ${input.domain} must authorise them in the SPF record (see suggestedSpfRecord) or publish the DKIM key the mail vendor provides. ${SIGNATURES}`,
  );
}

function reverseDns(input: GmailInput): GmailRequirement {
  if (input.servers.length === 0) return noServers('REVERSE_DNS', false);
  const unresolved = input.servers.filter((s) => s.reverseDns.length === 0);
  const bad = input.servers.flatMap((s) => s.reverseDns.filter((r) => !r.forwardConfirmed).map((r) => `${r.address} of ${label(s.server)}`));
  if (unresolved.length === 0 && bad.length === 0) {
    return requirement('REVERSE_DNS', false, true, 'every address of every server has a PTR record whose name resolves back to the same address.');
  }
  const parts = [...bad, ...unresolved.map((s) => `${label(s.server)} (its addresses are unknown)`)];
  return requirement(
    'REVERSE_DNS',
    false,
    false,
    `each sending IP address needs a PTR record whose name resolves back to the same address; not confirmed for ${parts.join(', ')}. ` +
      "This is fixed by the server's operator (the mail vendor or hosting provider who runs it), not by the library.",
  );
}

function spfAndDkim(input: GmailInput): GmailRequirement {
  if (input.servers.length === 0) return noServers('SPF_AND_DKIM', true);
  const noSpf = input.servers.filter((s) => !spfPasses(s));
  const noDkim = input.servers.filter((s) => validKeys(input, s).length === 0);
  if (noSpf.length === 0 && noDkim.length === 0) {
    return requirement('SPF_AND_DKIM', true, true, `every server of the chain passes both SPF and DKIM for ${input.domain}. ${SIGNATURES}`);
  }
  const missing = [
    ...(noSpf.length > 0 ? [`SPF does not pass for ${names(noSpf)} (authorise them in the SPF record of ${input.domain})`] : []),
    ...(noDkim.length > 0
      ? [`no valid DKIM key is published for ${names(noDkim)} (ask the mail vendor for its DKIM selector and key and publish it in the DNS of ${input.domain})`]
      : []),
  ];
  return requirement('SPF_AND_DKIM', true, false, `SPF and DKIM must both pass; ${missing.join('; ')}. ${SIGNATURES}`);
}

function dmarcRecord(input: GmailInput): GmailRequirement {
  const { dmarc, domain } = input;
  if (dmarc.kind === 'found') return requirement('DMARC_RECORD', true, true, `${domain} has a DMARC record (p=${dmarc.policy ?? 'none'}).`);
  if (dmarc.kind === 'temperror')
    return requirement('DMARC_RECORD', true, false, `the DMARC record of ${domain} could not be looked up (${dmarc.detail}); retry the check later.`);
  return requirement(
    'DMARC_RECORD',
    true,
    false,
    `${domain} needs a DMARC record; its administrator publishes at least TXT "v=DMARC1; p=none" at _dmarc.${domain}.`,
  );
}

function aligned(authenticated: string, from: string, mode: AlignmentMode): boolean {
  return mode === 'strict' ? authenticated === from : organisationalDomain(authenticated) === organisationalDomain(from);
}

/** The envelope sender is the sender address, so a passing SPF check is for the From domain itself. */
function unaligned(input: GmailInput, aspf: AlignmentMode, adkim: AlignmentMode): GmailServer[] {
  const { domain } = input;
  return input.servers.filter((s) => !(spfPasses(s) && aligned(domain, domain, aspf)) && !validKeys(input, s).some((k) => aligned(k.domain, domain, adkim)));
}

function dmarcAligned(input: GmailInput): GmailRequirement {
  const { dmarc, domain } = input;
  if (input.servers.length === 0) return noServers('DMARC_ALIGNED', true);
  if (dmarc.kind !== 'found') {
    // A record without aspf/adkim asks for relaxed alignment, so that is what publishing one would give.
    const wouldFail = unaligned(input, 'relaxed', 'relaxed');
    const outlook =
      wouldFail.length === 0
        ? 'with the default relaxed alignment every server would align, so publishing the record (see DMARC_RECORD) meets this as well.'
        : `even with the default relaxed alignment ${names(wouldFail)} would not align: authorise them in the SPF record of ${domain} or publish their DKIM keys under ${domain}.`;
    return requirement(
      'DMARC_ALIGNED',
      true,
      false,
      `alignment is judged by the DMARC record, which ${domain} does not have (or could not be read); ${outlook}`,
    );
  }
  const failing = unaligned(input, dmarc.aspf, dmarc.adkim);
  const modes = `aspf=${dmarc.aspf === 'strict' ? 's' : 'r'}, adkim=${dmarc.adkim === 'strict' ? 's' : 'r'}`;
  if (failing.length === 0) {
    return requirement('DMARC_ALIGNED', true, true, `the From domain ${domain} aligns with a passing SPF or DKIM domain for every server (${modes}).`);
  }
  const elsewhere = input.dkim.filter((k) => k.result === DkimKeyResult.VALID && k.domain !== domain).map((k) => k.domain);
  const advice =
    elsewhere.length > 0 && dmarc.adkim === 'strict'
      ? ` The DKIM key is published at ${elsewhere[0]}, which strict alignment (adkim=s) does not accept for ${domain}: publish the key under ${domain} as well, or relax the DMARC record to adkim=r.`
      : ` Authorise the servers in the SPF record of ${domain} or publish their DKIM keys under ${domain}.`;
  return requirement(
    'DMARC_ALIGNED',
    true,
    false,
    `the From domain ${domain} must align with a passing SPF or DKIM domain (${modes}); it does not for ${names(failing)}.${advice}`,
  );
}
