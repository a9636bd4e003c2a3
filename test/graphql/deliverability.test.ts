import { expectError } from '../support/expect-error';
import { AppConfig } from '../../src/config';
import { MACRO_SERVERS, macroZone, realisticZone } from '../deliverability/support/budget-zones';
import { startTestDnsServer, TestDnsServer, Zone } from '../deliverability/support/dns-test-server';
import { deliverabilityZone } from '../deliverability/support/zones';
import { createChain, createLibrary, unique } from '../support/fixtures';
import { mysqlAvailable, startTestGateway, TestGateway, DatabaseKind } from '../support/gateway';
import { header, HOST, startSmtpSink, TestServers } from '../transport/smtp-fixtures';

/**
 * R12/D13 over GraphQL: the gateway's resolver points at a real DNS server (dns2) on loopback that
 * serves the zones of test/deliverability/support/zones.ts, and every report is read through
 * effectiveMailConfig { deliverability }, checkSenderDomain and sendTestMail { deliverability }.
 */

const DNS_TIMEOUT_MS = 300;

const REPORT = `
  domain spfRecord spfLookups
  servers { server { id name host spfHint } addresses result explanation }
  dmarcRecord dmarcPolicy suggestedSpfRecord
  findings { severity code message }
  checkedAt
`;

const EFFECTIVE = `query EffectiveMailConfig($libraryId: ID!) {
  effectiveMailConfig(libraryId: $libraryId) { servers { id } sender { address } deliverability { ${REPORT} } }
}`;
const CHECK = `query CheckSenderDomain($sender: String!, $serverIds: [ID!]!) { checkSenderDomain(sender: $sender, serverIds: $serverIds) { ${REPORT} } }`;
const CREATE_SERVER = `mutation CreateSmtpServer($input: SmtpServerInput!) { createSmtpServer(input: $input) { id name host spfHint } }`;
const UPDATE_SERVER = `mutation UpdateSmtpServer($id: ID!, $input: SmtpServerUpdateInput!) { updateSmtpServer(id: $id, input: $input) { id spfHint version } }`;
const CREATE_LIBRARY = `mutation CreateLibrary($input: LibraryInput!) { createLibrary(input: $input) { id contactEmail } }`;

interface Finding {
  severity: string;
  code: string;
  message: string;
}
interface ServerCheck {
  server: { id: string; name: string; host: string; spfHint: string | null };
  addresses: string[];
  result: string;
  explanation: string;
}
interface Report {
  domain: string;
  spfRecord: string | null;
  spfLookups: number | null;
  servers: ServerCheck[];
  dmarcRecord: string | null;
  dmarcPolicy: string | null;
  suggestedSpfRecord: string | null;
  findings: Finding[];
  checkedAt: string;
}
interface ServerSpec {
  host: string;
  spfHint?: string | null;
  port?: number;
}
interface ServerRow {
  id: string;
  name: string;
  host: string;
  spfHint: string | null;
}

interface Fixture {
  gw: TestGateway;
  dns: TestDnsServer;
}

/**
 * Like describeEachDatabase, but every database gets its own DNS server first and a gateway whose
 * DNS_SERVERS point at it (no answer cache, so a changed zone is seen at once).
 */
function describeEachDatabaseWithDns(
  title: string,
  body: (fixture: () => Fixture) => void,
  options: { zone?: () => Zone; dns?: (address: string) => AppConfig['dns']; overrides?: Partial<AppConfig> } = {},
): void {
  const zone = options.zone ?? deliverabilityZone;
  for (const kind of ['sqlite', 'mysql'] as DatabaseKind[]) {
    const run = kind === 'sqlite' || mysqlAvailable() ? describe : describe.skip;
    run(`${title} [${kind}]`, () => {
      let fixture: Fixture | null = null;
      let dns: TestDnsServer | null = null;
      beforeAll(async () => {
        dns = await startTestDnsServer(zone());
        const gw = await startTestGateway(kind, {
          dns: options.dns?.(dns.address) ?? { servers: [dns.address], timeoutMs: DNS_TIMEOUT_MS, cacheSeconds: 0 },
          ...options.overrides,
        });
        fixture = { gw, dns };
      });
      afterEach(() => {
        // A test that silenced the server or edited the zone must not leak into the next one.
        if (dns) {
          dns.silent = false;
          dns.zone = zone();
        }
      });
      afterAll(async () => {
        await fixture?.gw.close();
        await dns?.close();
      });
      body(() => {
        if (!fixture) throw new Error('gateway not started');
        return fixture;
      });
    });
  }
}

const codes = (report: Report): string[] => report.findings.map((f) => f.code);
const finding = (report: Report, code: string): Finding | undefined => report.findings.find((f) => f.code === code);
const verdicts = (report: Report): Array<[string, string[], string]> => report.servers.map((s) => [s.server.name, s.addresses, s.result]);
const withoutTime = (report: Report) => ({ ...report, checkedAt: '<time>' });

describeEachDatabaseWithDns('R12/D13 deliverability over GraphQL against a real DNS server', (fixture) => {
  const gw = () => fixture().gw;
  const dns = () => fixture().dns;
  /** Creates a chain (each server's next server is the following one). */
  async function chain(...specs: ServerSpec[]): Promise<ServerRow[]> {
    const inputs = specs.map((spec) => ({
      name: unique(spec.host),
      host: spec.host,
      port: spec.port ?? 587,
      spfHint: spec.spfHint ?? null,
      connectionTimeoutMs: 3000,
      timeoutMs: 5000,
    }));
    return createChain<ServerRow>(gw(), inputs, { document: CREATE_SERVER });
  }

  async function library(sender: string, first: ServerRow): Promise<string> {
    const code = unique('LIB');
    return (await createLibrary(gw(), { code, shortName: code, contactEmail: sender, smtpServerId: first.id })).id;
  }

  /**
   * The report for a library whose contact e-mail is `sender` and whose chain is `servers`, read
   * through effectiveMailConfig; checkSenderDomain for the same sender and servers must agree.
   */
  async function reportFor(sender: string, servers: ServerRow[]): Promise<Report> {
    const libraryId = await library(sender, servers[0]);
    const before = Date.now();
    const effective = (
      await gw().ok<{ effectiveMailConfig: { servers: Array<{ id: string }>; sender: { address: string }; deliverability: Report } }>(EFFECTIVE, { libraryId })
    ).effectiveMailConfig;
    expect(effective.servers.map((s) => s.id)).toEqual(servers.map((s) => s.id));
    expect(effective.sender.address).toBe(sender);
    const report = effective.deliverability;
    expect(report.servers.map((s) => s.server.id)).toEqual(servers.map((s) => s.id));
    expect(Date.parse(report.checkedAt)).toBeGreaterThanOrEqual(before - 1000);

    const direct = (await gw().ok<{ checkSenderDomain: Report }>(CHECK, { sender, serverIds: servers.map((s) => s.id) })).checkSenderDomain;
    expect(withoutTime(direct)).toEqual(withoutTime(report));
    return report;
  }

  describe('R12 example "v=spf1 mx include:clavius.cz ~all" (xyz.cz)', () => {
    it("R12/D13: the vendor's primary and secondary servers (spfHint include:clavius.cz) both PASS; DMARC is read", async () => {
      const servers = await chain({ host: 'smtp.clavius.cz', spfHint: 'include:clavius.cz' }, { host: 'smtp2.clavius.cz', spfHint: 'include:clavius.cz' });
      const report = await reportFor('knihovna@xyz.cz', servers);
      expect(report).toMatchObject({
        domain: 'xyz.cz',
        spfRecord: 'v=spf1 mx include:clavius.cz ~all',
        spfLookups: 2,
        dmarcRecord: 'v=DMARC1; p=quarantine; rua=mailto:dmarc@xyz.cz',
        dmarcPolicy: 'quarantine',
        suggestedSpfRecord: null,
      });
      expect(verdicts(report)).toEqual([
        [servers[0].name, ['127.0.0.10'], 'PASS'],
        [servers[1].name, ['127.0.0.11'], 'PASS'],
      ]);
      expect(report.servers[0].server).toEqual(servers[0]);
      expect(report.servers[0].explanation).toContain('127.0.0.10: pass');
      expect(report.findings).toEqual([{ severity: 'INFO', code: 'SPF_OK', message: expect.stringContaining('xyz.cz') }]);
    });

    it('R12/D13: a server outside the record softfails (~all): WARNING naming server and address, the suggestion adds its hint', async () => {
      const servers = await chain({ host: 'smtp.clavius.cz', spfHint: 'include:clavius.cz' }, { host: 'smtp.other.test', spfHint: 'a:smtp.other.test' });
      const report = await reportFor('knihovna@xyz.cz', servers);
      expect(verdicts(report)).toEqual([
        [servers[0].name, ['127.0.0.10'], 'PASS'],
        [servers[1].name, ['127.0.0.99'], 'SOFTFAIL'],
      ]);
      const notAuthorised = finding(report, 'SPF_SERVER_NOT_AUTHORIZED');
      expect(notAuthorised?.severity).toBe('WARNING');
      expect(notAuthorised?.message).toContain(`"${servers[1].name}" (smtp.other.test)`);
      expect(notAuthorised?.message).toContain('127.0.0.99');
      expect(report.suggestedSpfRecord).toBe('v=spf1 mx include:clavius.cz a:smtp.other.test ~all');
    });
  });

  it('R12 example "v=spf1 include:_spf.websupport.sk include:clavius.cz -all": hosting provider and vendor both PASS', async () => {
    const servers = await chain(
      { host: 'smtp.websupport.sk', spfHint: 'include:_spf.websupport.sk' },
      { host: 'smtp.clavius.cz', spfHint: 'include:clavius.cz' },
    );
    const report = await reportFor('mvs@knihovna.sk', servers);
    expect(report).toMatchObject({
      domain: 'knihovna.sk',
      spfRecord: 'v=spf1 include:_spf.websupport.sk include:clavius.cz -all',
      spfLookups: 2,
      dmarcPolicy: 'none',
      suggestedSpfRecord: null,
    });
    expect(verdicts(report)).toEqual([
      [servers[0].name, ['127.0.1.5'], 'PASS'],
      [servers[1].name, ['127.0.0.10'], 'PASS'],
    ]);
    expect(codes(report)).toEqual(['SPF_OK', 'DMARC_POLICY_NONE']);
  });

  it("R12: no SPF record is SPF_MISSING (ERROR, the domain's DNS is at fault) and the suggestion is in the source document's style", async () => {
    const servers = await chain({ host: 'smtp.clavius.cz', spfHint: 'include:clavius.cz' }, { host: 'smtp2.clavius.cz', spfHint: 'include:clavius.cz' });
    const report = await reportFor('info@nospf.cz', servers);
    expect(report).toMatchObject({ domain: 'nospf.cz', spfRecord: null, spfLookups: null, dmarcRecord: null, dmarcPolicy: null });
    expect(verdicts(report)).toEqual([
      [servers[0].name, ['127.0.0.10'], 'NONE'],
      [servers[1].name, ['127.0.0.11'], 'NONE'],
    ]);
    const missing = finding(report, 'SPF_MISSING');
    expect(missing?.severity).toBe('ERROR');
    expect(missing?.message).toMatch(/most common cause of undelivered mail/);
    expect(missing?.message).toContain('gmail.com');
    expect(missing?.message).toMatch(/fault is in the DNS of nospf\.cz/);
    expect(finding(report, 'DMARC_MISSING')?.severity).toBe('WARNING');
    expect(report.suggestedSpfRecord).toBe('v=spf1 mx include:clavius.cz ~all');
  });

  it('D13: two SPF records are SPF_MULTIPLE_RECORDS (ERROR) and PERMERROR for every server; the suggestion merges them', async () => {
    const servers = await chain({ host: 'smtp.clavius.cz', spfHint: 'include:clavius.cz' });
    const report = await reportFor('a@twospf.cz', servers);
    expect(verdicts(report)).toEqual([[servers[0].name, ['127.0.0.10'], 'PERMERROR']]);
    const multiple = finding(report, 'SPF_MULTIPLE_RECORDS');
    expect(multiple?.severity).toBe('ERROR');
    expect(multiple?.message).toContain('v=spf1 include:clavius.cz -all');
    expect(multiple?.message).toContain('v=spf1 ip4:127.0.0.99 -all');
    expect(report.spfLookups).toBeNull();
    expect(report.suggestedSpfRecord).toBe('v=spf1 include:clavius.cz ip4:127.0.0.99 -all');
  });

  describe('D13: RFC 7208 limits are SPF_PERMERROR', () => {
    it('an include loop is PERMERROR (lookup limit), answered without hanging', async () => {
      const servers = await chain({ host: '127.0.0.10' });
      const report = await reportFor('a@loop.cz', servers);
      expect(verdicts(report)).toEqual([[servers[0].name, ['127.0.0.10'], 'PERMERROR']]);
      const permerror = finding(report, 'SPF_PERMERROR');
      expect(permerror?.severity).toBe('ERROR');
      expect(permerror?.message).toMatch(/too many DNS requests/i);
      expect(permerror?.message).toContain(servers[0].name);
      expect(report.suggestedSpfRecord).toBeNull();
    });

    it('eleven nested includes are PERMERROR (11 lookups); ten are still PASS', async () => {
      const servers = await chain({ host: 'smtp.clavius.cz' });
      const tooDeep = await reportFor('a@deep.cz', servers);
      expect(verdicts(tooDeep)).toEqual([[servers[0].name, ['127.0.0.10'], 'PERMERROR']]);
      expect(tooDeep.spfLookups).toBe(11);
      expect(finding(tooDeep, 'SPF_PERMERROR')?.message).toMatch(/at most 10/);

      const atLimit = await reportFor('a@deep10.cz', servers);
      expect(verdicts(atLimit)).toEqual([[servers[0].name, ['127.0.0.10'], 'PASS']]);
      expect(atLimit.spfLookups).toBe(10);
      expect(codes(atLimit)).not.toContain('SPF_PERMERROR');
    });

    it('three void lookups are PERMERROR; two are still PASS', async () => {
      const servers = await chain({ host: 'smtp.clavius.cz' });
      const threeVoid = await reportFor('a@void.cz', servers);
      expect(verdicts(threeVoid)).toEqual([[servers[0].name, ['127.0.0.10'], 'PERMERROR']]);
      expect(finding(threeVoid, 'SPF_PERMERROR')?.message).toMatch(/void/i);

      const twoVoid = await reportFor('a@void2.cz', servers);
      expect(verdicts(twoVoid)).toEqual([[servers[0].name, ['127.0.0.10'], 'PASS']]);
      expect(codes(twoVoid)).not.toContain('SPF_PERMERROR');
    });
  });

  it('R12: a -all domain that does not list the server is FAIL, an ERROR naming server and address; the suggestion adds the hint', async () => {
    const servers = await chain({ host: 'smtp.clavius.cz', spfHint: 'include:clavius.cz' });
    const report = await reportFor('knihovna@strict.cz', servers);
    expect(verdicts(report)).toEqual([[servers[0].name, ['127.0.0.10'], 'FAIL']]);
    expect(report.servers[0].explanation).toContain('127.0.0.10: fail');
    const notAuthorised = finding(report, 'SPF_SERVER_NOT_AUTHORIZED');
    expect(notAuthorised?.severity).toBe('ERROR');
    expect(notAuthorised?.message).toContain(`"${servers[0].name}" (smtp.clavius.cz)`);
    expect(notAuthorised?.message).toContain('127.0.0.10');
    expect(notAuthorised?.message).toMatch(/reject/);
    expect(report.suggestedSpfRecord).toBe('v=spf1 ip4:127.0.0.50 include:clavius.cz -all');
  });

  describe('D13: IPv6', () => {
    it('an AAAA-only host and an IPv6 literal are evaluated against ip6:; a dual-stack host is checked on both addresses', async () => {
      const servers = await chain({ host: 'smtp.v6.cz' }, { host: '2001:db8:6::99' }, { host: 'dual.v6.cz' });
      const report = await reportFor('knihovna@v6.cz', servers);
      expect(verdicts(report)).toEqual([
        [servers[0].name, ['2001:db8:6::25'], 'PASS'],
        [servers[1].name, ['2001:db8:6::99'], 'PASS'],
        [servers[2].name, ['127.0.0.60', '2001:db8:6::26'], 'FAIL'],
      ]);
      expect(report.servers[2].explanation).toMatch(/127\.0\.0\.60: fail.*2001:db8:6::26: pass/);
      const notAuthorised = finding(report, 'SPF_SERVER_NOT_AUTHORIZED');
      expect(notAuthorised?.message).toContain(`"${servers[2].name}" (dual.v6.cz) sends from 127.0.0.60,`);
      expect(notAuthorised?.message).not.toContain('2001:db8:6::26');
      expect(report.suggestedSpfRecord).toBe('v=spf1 ip6:2001:db8:6::/64 ip4:127.0.0.60 -all');
    });

    it('an IPv6-only vendor server passes through the ip6: range of the included record', async () => {
      const servers = await chain({ host: 'smtp.clavius.cz', spfHint: 'include:clavius.cz' }, { host: 'smtp6.clavius.cz', spfHint: 'include:clavius.cz' });
      const report = await reportFor('knihovna@xyz.cz', servers);
      expect(verdicts(report)).toEqual([
        [servers[0].name, ['127.0.0.10'], 'PASS'],
        [servers[1].name, ['2001:db8:c1a::25'], 'PASS'],
      ]);
      expect(codes(report)).toEqual(['SPF_OK']);
    });
  });

  describe('D13: DNS trouble is TEMPERROR with a finding, never a GraphQL error or a hang', () => {
    it('a DNS server that never answers: every server TEMPERROR, SPF_TEMPERROR, answered within a few timeouts', async () => {
      const servers = await chain({ host: 'smtp.clavius.cz', spfHint: 'include:clavius.cz' }, { host: '127.0.0.11', spfHint: 'include:clavius.cz' });
      const libraryId = await library('knihovna@xyz.cz', servers[0]);
      dns().silent = true;
      const asked = dns().queries.length;

      const started = Date.now();
      const result = await gw().gql<{ effectiveMailConfig: { deliverability: Report } }>(EFFECTIVE, { libraryId });
      const elapsed = Date.now() - started;

      expect(result.errors).toBeUndefined();
      expect(elapsed).toBeLessThan(5 * DNS_TIMEOUT_MS);
      expect(dns().queries.length).toBeGreaterThan(asked); // the server really was asked, and stayed silent
      const report = result.data!.effectiveMailConfig.deliverability;
      expect(verdicts(report)).toEqual([
        [servers[0].name, [], 'TEMPERROR'],
        [servers[1].name, ['127.0.0.11'], 'TEMPERROR'],
      ]);
      expect(report.spfRecord).toBeNull();
      expect(report.suggestedSpfRecord).toBeNull();
      const temperror = finding(report, 'SPF_TEMPERROR');
      expect(temperror?.severity).toBe('WARNING');
      expect(temperror?.message).toMatch(/not a verdict.*retry/);
      expect(codes(report)).toEqual(expect.arrayContaining(['SPF_TEMPERROR', 'SERVER_HOST_TEMPERROR', 'DMARC_TEMPERROR']));
      expect(codes(report)).not.toContain('SPF_MISSING');
      expect(report.findings.filter((f) => f.severity === 'ERROR')).toEqual([]);

      const direct = await gw().gql<{ checkSenderDomain: Report }>(CHECK, { sender: 'knihovna@xyz.cz', serverIds: servers.map((s) => s.id) });
      expect(direct.errors).toBeUndefined();
      expect(codes(direct.data!.checkSenderDomain)).toContain('SPF_TEMPERROR');
    });

    it('a sender domain whose name server never answers (the rest of DNS works): TEMPERROR, not SPF_MISSING', async () => {
      const servers = await chain({ host: 'smtp.clavius.cz', spfHint: 'include:clavius.cz' });
      const started = Date.now();
      const report = await reportFor('knihovna@slow.cz', servers);
      expect(Date.now() - started).toBeLessThan(2 * 5 * DNS_TIMEOUT_MS);
      expect(verdicts(report)).toEqual([[servers[0].name, ['127.0.0.10'], 'TEMPERROR']]);
      expect(codes(report)).toContain('SPF_TEMPERROR');
      expect(codes(report)).not.toContain('SPF_MISSING');
    });

    it('deliverability is computed only when selected: without it effectiveMailConfig asks no DNS question and answers at once', async () => {
      const servers = await chain({ host: 'smtp.clavius.cz', spfHint: 'include:clavius.cz' });
      const libraryId = await library('knihovna@xyz.cz', servers[0]);
      dns().silent = true;
      const asked = dns().queries.length;

      const started = Date.now();
      const config = (
        await gw().ok<any>(
          `query EffectiveMailConfig($libraryId: ID!) { effectiveMailConfig(libraryId: $libraryId) { servers { id } sender { address } problems { code } } }`,
          {
            libraryId,
          },
        )
      ).effectiveMailConfig;
      const elapsed = Date.now() - started;

      expect(config.servers).toEqual([{ id: servers[0].id }]);
      expect(config.sender.address).toBe('knihovna@xyz.cz');
      expect(dns().queries.length).toBe(asked);
      expect(elapsed).toBeLessThan(DNS_TIMEOUT_MS);

      // Selecting the field does ask (and, the server being silent, waits for the timeout).
      const withField = await gw().gql<{ effectiveMailConfig: { deliverability: Report } }>(EFFECTIVE, { libraryId });
      expect(withField.errors).toBeUndefined();
      expect(dns().queries.length).toBeGreaterThan(asked);
    });
  });

  describe("D13: sendTestMail reports the sender domain's deliverability without blocking the send", () => {
    const sinks = new TestServers();
    afterAll(() => sinks.closeAll());

    const SEND = `mutation SendTestMail($input: SendTestMailInput!) {
      sendTestMail(input: $input) { ok deliveredBy { id } attempts { ok errorCode } deliverability { ${REPORT} } }
    }`;

    it('a relay the domain does not authorise: the mail is delivered and the result carries SOFTFAIL and the suggestion', async () => {
      const sink = await sinks.add(startSmtpSink());
      const servers = await chain({ host: HOST, port: sink.port });
      const libraryId = await library('knihovna@xyz.cz', servers[0]);

      const result = await gw().gql<{ sendTestMail: any }>(SEND, { input: { libraryId, to: 'reader@example.net' } });

      expect(result.errors).toBeUndefined();
      const sent = result.data!.sendTestMail;
      expect(sent.ok).toBe(true);
      expect(sent.deliveredBy).toEqual({ id: servers[0].id });
      expect(sink.received).toHaveLength(1);
      expect(sink.received[0].mailFrom).toBe('knihovna@xyz.cz');
      expect(header(sink.received[0].raw, 'To')).toBe('reader@example.net');

      const report: Report = sent.deliverability;
      expect(report.domain).toBe('xyz.cz');
      expect(verdicts(report)).toEqual([[servers[0].name, ['127.0.0.1'], 'SOFTFAIL']]);
      const notAuthorised = finding(report, 'SPF_SERVER_NOT_AUTHORIZED');
      expect(notAuthorised?.severity).toBe('WARNING');
      expect(notAuthorised?.message).toContain(`"${servers[0].name}" (127.0.0.1)`);
      expect(report.suggestedSpfRecord).toBe('v=spf1 mx include:clavius.cz ip4:127.0.0.1 ~all');
    });

    it('with a DNS server that never answers the mail is still delivered; the report is TEMPERROR', async () => {
      const sink = await sinks.add(startSmtpSink());
      const servers = await chain({ host: HOST, port: sink.port });
      const libraryId = await library('knihovna@xyz.cz', servers[0]);
      dns().silent = true;

      const result = await gw().gql<{ sendTestMail: any }>(SEND, { input: { libraryId, to: 'reader@example.net' } });

      expect(result.errors).toBeUndefined();
      expect(result.data!.sendTestMail.ok).toBe(true);
      expect(sink.received).toHaveLength(1);
      expect(verdicts(result.data!.sendTestMail.deliverability)).toEqual([[servers[0].name, ['127.0.0.1'], 'TEMPERROR']]);
      expect(codes(result.data!.sendTestMail.deliverability)).toContain('SPF_TEMPERROR');
    });
  });

  describe('D13: spfHint is one SPF mechanism', () => {
    it.each([['v=spf1 include:x ~all'], ['all'], ['include:a include:b'], ['-all'], ['redirect=_spf.clavius.cz'], ['include:']])(
      'createSmtpServer refuses %p: BAD_USER_INPUT on field spfHint, nothing written',
      async (spfHint) => {
        const count = async () => (await gw().ok<{ smtpServers: unknown[] }>('{ smtpServers { id } }')).smtpServers.length;
        const before = await count();
        const result = await gw().gql(CREATE_SERVER, { input: { name: unique('bad hint'), host: 'smtp.clavius.cz', port: 587, spfHint } });
        expectError(result, 'BAD_USER_INPUT', { field: 'spfHint' });
        expect(result.errors![0].message).toMatch(/SPF hint/);
        expect(await count()).toBe(before);
      },
    );

    it('updateSmtpServer refuses the same hints and keeps the stored one; valid mechanisms are stored as given', async () => {
      const [server] = await chain({ host: 'smtp.clavius.cz', spfHint: 'include:clavius.cz' });
      for (const spfHint of ['v=spf1 include:x ~all', 'all', 'include:a include:b']) {
        expectError(await gw().gql(UPDATE_SERVER, { id: server.id, input: { spfHint } }), 'BAD_USER_INPUT', { field: 'spfHint' });
      }
      const stored = await gw().ok<any>(`query SmtpServer($id: ID!) { smtpServer(id: $id) { spfHint version } }`, { id: server.id });
      expect(stored.smtpServer).toEqual({ spfHint: 'include:clavius.cz', version: 1 });

      for (const spfHint of ['include:_spf.google.com', 'ip4:192.0.2.0/24', 'ip6:2001:db8::/32', 'a:smtp.clavius.cz', 'mx', null]) {
        const updated = (await gw().ok<any>(UPDATE_SERVER, { id: server.id, input: { spfHint } })).updateSmtpServer;
        expect(updated.spfHint).toBe(spfHint);
      }
    });
  });
});

/*
 * The DNS amplification of the security review: DNS_LOOKUPS_PER_REQUEST (default 200) bounds the
 * queries one GraphQL request sends, however many checks it asks for (aliases, list items);
 * DNS_LOOKUPS_PER_MINUTE bounds one identity. The gateway runs without an answer cache, as in
 * every test here, so each count is what the DNS server really received. The DNS server shares the
 * test's event loop with the gateway, whose SPF evaluations keep it busy for a while: a generous
 * DNS timeout keeps a slow answer from passing for a dead server.
 */
const BUDGET_DNS = (address: string) => ({ servers: [address], timeoutMs: 5000, cacheSeconds: 0 });
const budgetZone = (): Zone => ({ ...deliverabilityZone(), ...macroZone(), ...realisticZone() });
const SHORT_REPORT = 'servers { result explanation } findings { severity code message }';
const CREATE_DEPARTMENTS = (count: number, from: number) =>
  `mutation ($libraryId: ID!) { ${Array.from(
    { length: count },
    (_, i) => `d${from + i}: createDepartment(input: { libraryId: $libraryId, name: "Department ${from + i}", email: "d${from + i}@macro.test" }) { id }`,
  ).join(' ')} }`;

async function createServers(gw: TestGateway, hosts: string[], prefix: string): Promise<string[]> {
  const inputs = hosts.map((host, i) => ({ name: `${prefix} ${hosts.length - 1 - i} ${host}`, host, port: 587, connectionTimeoutMs: 3000, timeoutMs: 5000 }));
  return (await createChain<ServerRow>(gw, inputs, { document: CREATE_SERVER })).map((server) => server.id);
}

const allFindings = (reports: Array<{ findings: Finding[] }>): Finding[] => reports.flatMap((r) => r.findings);

describeEachDatabaseWithDns(
  'DNS_LOOKUPS_PER_REQUEST: one request cannot turn the deliverability checks into a DNS amplifier',
  (fixture) => {
    const gw = () => fixture().gw;
    const dns = () => fixture().dns;
    let counter = 0;
    const freshToken = (claims: { roles: string[]; libraries?: number[] } = { roles: ['support'] }) => gw().token({ sub: `budget-${++counter}`, ...claims });
    const sentDuring = async <T>(work: () => Promise<T>): Promise<{ result: T; queries: string[] }> => {
      const before = dns().queries.length;
      const result = await work();
      return { result, queries: dns().queries.slice(before) };
    };

    it('checkSenderDomain in 30 aliases over 20 servers with a:%{l}.%{i} macros sends at most 200 queries; TEMPERROR findings name the budget', async () => {
      const serverIds = await createServers(
        gw(),
        MACRO_SERVERS.map((s) => s.host),
        'amplifier',
      );
      const aliases = Array.from({ length: 30 }, (_, i) => `c${i}: checkSenderDomain(sender: "a${i}@macro.test", serverIds: $serverIds) { ${SHORT_REPORT} }`);
      const query = `query ($serverIds: [ID!]!) { ${aliases.join(' ')} }`;
      const token = await freshToken();

      const { result, queries } = await sentDuring(() => gw().gql<Record<string, Report>>(query, { serverIds }, token));

      expect(result.errors).toBeUndefined();
      expect(queries.length).toBeLessThanOrEqual(200);
      const reports = Object.values(result.data!);
      expect(reports).toHaveLength(30);
      expect(reports.flatMap((r) => r.servers.map((s) => s.result))).toContain('TEMPERROR');
      const exhausted = allFindings(reports).filter((f) => f.code === 'DNS_BUDGET_EXHAUSTED');
      expect(exhausted.length).toBeGreaterThan(0);
      expect(exhausted[0]).toMatchObject({ severity: 'WARNING', message: expect.stringMatching(/budget of 200 DNS queries \(DNS_LOOKUPS_PER_REQUEST\)/) });
      const temperror = allFindings(reports).find((f) => f.code === 'SPF_TEMPERROR');
      expect(temperror?.message).toMatch(/budget of 200 DNS queries \(DNS_LOOKUPS_PER_REQUEST\) is used up/);
    });

    it('a library-admin asking deliverability for 302 own departments (each its own sender) stays within the budget', async () => {
      const serverIds = await createServers(
        gw(),
        MACRO_SERVERS.slice(0, 3).map((s) => s.host),
        'departments',
      );
      const input = { code: `MACRO-${++counter}`, name: 'Macro library', contactEmail: 'library@macro.test', smtpServerId: serverIds[0] };
      const libraryId = (await gw().ok<{ createLibrary: { id: string } }>(CREATE_LIBRARY, { input })).createLibrary.id;
      for (let from = 0; from < 302; from += 30) {
        await gw().ok(CREATE_DEPARTMENTS(Math.min(30, 302 - from), from), { libraryId });
      }
      const admin = await freshToken({ roles: ['library-admin'], libraries: [Number(libraryId)] });
      const query = `query Library($id: ID!) { library(id: $id) { departments { email effectiveMailConfig { deliverability { ${SHORT_REPORT} } } } } }`;

      const { result, queries } = await sentDuring(() => gw().gql<any>(query, { id: libraryId }, admin));

      expect(result.errors).toBeUndefined();
      const departments: Array<{ effectiveMailConfig: { deliverability: Report } }> = result.data.library.departments;
      expect(departments).toHaveLength(302);
      expect(queries.length).toBeLessThanOrEqual(200);
      const reports = departments.map((d) => d.effectiveMailConfig.deliverability);
      expect(allFindings(reports).some((f) => f.code === 'DNS_BUDGET_EXHAUSTED' && /DNS_LOOKUPS_PER_REQUEST/.test(f.message))).toBe(true);
    });

    it('30 aliases of the same check share their lookups in flight: each question every check starts with is sent once', async () => {
      const serverIds = await createServers(gw(), ['smtp.clavius.cz', 'smtp2.clavius.cz', 'smtp.other.test'], 'shared');
      const aliases = Array.from({ length: 30 }, (_, i) => `c${i}: checkSenderDomain(sender: "knihovna@xyz.cz", serverIds: $serverIds) { ${SHORT_REPORT} }`);
      const token = await freshToken();

      const { result, queries } = await sentDuring(() =>
        gw().gql<Record<string, Report>>(`query ($serverIds: [ID!]!) { ${aliases.join(' ')} }`, { serverIds }, token),
      );

      expect(result.errors).toBeUndefined();
      // Without an answer cache, questions asked later (paced SPF evaluations) may be sent again once settled.
      const opening = ['TXT xyz.cz', 'TXT _dmarc.xyz.cz', 'smtp.clavius.cz', 'smtp2.clavius.cz', 'smtp.other.test'].flatMap((q) =>
        q.startsWith('TXT') ? [q] : [`A ${q}`, `AAAA ${q}`],
      );
      expect(Object.fromEntries(opening.map((q) => [q, queries.filter((sent) => sent === q).length]))).toEqual(Object.fromEntries(opening.map((q) => [q, 1])));
      const reports = Object.values(result.data!);
      expect(new Set(reports.map((r) => JSON.stringify(r))).size).toBe(1);
      expect(reports[0].servers.map((s) => s.result)).toEqual(['PASS', 'PASS', 'SOFTFAIL']);
    });

    it('the heaviest legitimate check (include chain of 7 lookups, 3-server chain, one dual-stack) still PASSes, well within the budget', async () => {
      const serverIds = await createServers(gw(), ['smtp.library.test', 'smtp.hosting.test', 'smtp.clavius.cz'], 'realistic');
      const token = await freshToken();

      const { result, queries } = await sentDuring(() => gw().gql<{ checkSenderDomain: Report }>(CHECK, { sender: 'notices@library.test', serverIds }, token));

      expect(result.errors).toBeUndefined();
      const report = result.data!.checkSenderDomain;
      expect(report).toMatchObject({
        domain: 'library.test',
        spfRecord: 'v=spf1 mx a include:_spf.hosting.test include:clavius.cz ~all',
        spfLookups: 7,
        dmarcPolicy: 'reject',
        suggestedSpfRecord: null,
      });
      expect(report.servers.map((s) => [s.server.host, s.addresses, s.result])).toEqual([
        ['smtp.library.test', ['127.0.4.1'], 'PASS'],
        ['smtp.hosting.test', ['127.0.5.7', '2001:db8:5::7'], 'PASS'],
        ['smtp.clavius.cz', ['127.0.0.10'], 'PASS'],
      ]);
      expect(codes(report)).toEqual(['SPF_OK']);
      expect(queries.length).toBeLessThan(100);
    });
  },
  { zone: budgetZone, dns: BUDGET_DNS },
);

describeEachDatabaseWithDns(
  'DNS_LOOKUPS_PER_MINUTE: one identity cannot spread the amplification over many requests',
  (fixture) => {
    const gw = () => fixture().gw;
    const dns = () => fixture().dns;

    it('past the rate the checks are TEMPERROR with a finding naming DNS_LOOKUPS_PER_MINUTE; another identity has its own rate', async () => {
      const serverIds = await createServers(gw(), ['smtp.clavius.cz'], 'rate');
      const first = await gw().token({ sub: 'rate-first', roles: ['support'] });
      const other = await gw().token({ sub: 'rate-other', roles: ['support'] });
      const ask = async (token: string) => {
        const before = dns().queries.length;
        const result = await gw().gql<{ checkSenderDomain: Report }>(CHECK, { sender: 'knihovna@xyz.cz', serverIds }, token);
        expect(result.errors).toBeUndefined();
        return { report: result.data!.checkSenderDomain, sent: dns().queries.length - before };
      };

      const spent = await ask(first);
      expect(spent.sent).toBe(5);
      expect(spent.report.servers.map((s) => s.result)).toEqual(['TEMPERROR']);
      expect(finding(spent.report, 'DNS_RATE_LIMITED')).toMatchObject({
        severity: 'WARNING',
        message: expect.stringMatching(/limit of 5 DNS queries per minute \(DNS_LOOKUPS_PER_MINUTE\)/),
      });
      expect(codes(spent.report)).toContain('SPF_TEMPERROR');

      const again = await ask(first);
      expect(again.sent).toBe(0);
      expect(codes(again.report)).toContain('DNS_RATE_LIMITED');

      const otherIdentity = await ask(other);
      expect(otherIdentity.sent).toBe(5);
    });
  },
  { dns: BUDGET_DNS, overrides: { dnsLimits: { lookupsPerRequest: 200, lookupsPerMinute: 5 } } },
);
