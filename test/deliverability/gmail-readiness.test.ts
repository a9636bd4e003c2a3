import {
  checkDeliverability,
  createDnsResolver,
  DeliverabilityReport,
  DnsBudget,
  DnsRateLimiter,
  meteredBy,
  ServerToCheck,
} from '../../src/mail/deliverability';
import { CHECKED_AT, check, codes, finding } from './support/check';
import { startTestDnsServer, TestDnsServer } from './support/dns-test-server';
import { gmailZone, KEYS } from './support/gmail-zones';

/** Google's sender guidelines (DKIM, reverse DNS, DMARC alignment, the verdict) against a real DNS server on 127.0.0.1. */
describe('R12/D13 Gmail readiness against a real DNS server on 127.0.0.1', () => {
  let dns: TestDnsServer;

  beforeAll(async () => {
    dns = await startTestDnsServer(gmailZone());
  });
  afterAll(() => dns.close());

  const server = (id: number, host: string, dkimSelectors: string[] = []): ServerToCheck => ({ id, name: `server ${id}`, host, spfHint: null, dkimSelectors });
  const requirement = (report: DeliverabilityReport, code: string) => report.gmail.requirements.find((r) => r.code === code)!;
  const met = (report: DeliverabilityReport) => Object.fromEntries(report.gmail.requirements.map((r) => [r.code, r.met]));

  describe('DKIM keys', () => {
    const selectors = ['rsa768', 'rsa1024', 'rsa2048', 'ed', 'broken', 'revoked', 'gone', 'flaky'];
    let report: DeliverabilityReport;
    beforeAll(async () => {
      report = await check(dns, 'notices@keys.test', [server(1, 'smtp.vendor.test', selectors)]);
    });

    it('judges every selector under <selector>._domainkey.<sender domain>: 768 bits WEAK, 1024 and 2048 VALID, Ed25519 VALID', () => {
      const bySelector = Object.fromEntries(report.dkim.map((k) => [k.selector, [k.domain, k.keyType, k.keyBits, k.result]]));
      expect(bySelector).toEqual({
        rsa768: ['keys.test', 'rsa', 768, 'WEAK'],
        rsa1024: ['keys.test', 'rsa', 1024, 'VALID'],
        rsa2048: ['keys.test', 'rsa', 2048, 'VALID'],
        ed: ['keys.test', 'ed25519', 256, 'VALID'],
        broken: ['keys.test', 'rsa', null, 'INVALID'],
        revoked: ['keys.test', 'rsa', null, 'INVALID'],
        gone: ['keys.test', null, null, 'MISSING'],
        flaky: ['keys.test', null, null, 'TEMPERROR'],
      });
      expect(report.dkim.find((k) => k.selector === 'rsa2048')?.record).toBe(`v=DKIM1; k=rsa; p=${KEYS.rsa2048}`);
      expect(dns.queries).toContain('TXT rsa768._domainkey.keys.test');
    });

    it('WEAK says receivers refuse it and asks for 2048 bits; INVALID names the record and the reason (revoked, not a key)', () => {
      expect(finding(report, 'DKIM_KEY_WEAK')).toMatchObject({
        severity: 'ERROR',
        message: expect.stringMatching(/rsa768\._domainkey\.keys\.test has only 768 bits.*2048-bit/),
      });
      const invalid = report.findings.filter((f) => f.code === 'DKIM_KEY_INVALID').map((f) => f.message);
      expect(invalid).toEqual([
        expect.stringMatching(/broken\._domainkey\.keys\.test .*does not hold an RSA public key/),
        expect.stringMatching(/revoked\._domainkey\.keys\.test .*revoked/),
      ]);
    });

    it('MISSING names the record to publish and says the vendor gives its value; a DNS failure is a TEMPERROR, not a verdict', () => {
      const missing = finding(report, 'DKIM_KEY_MISSING');
      expect(missing?.message).toContain('publish a TXT record at gone._domainkey.keys.test');
      expect(missing?.message).toMatch(/mail vendor .* gives its value/);
      expect(finding(report, 'DKIM_TEMPERROR')?.message).toMatch(/flaky\._domainkey\.keys\.test could not be looked up .*retry/);
    });
  });

  describe('reverse DNS', () => {
    it('forward-confirmed when the PTR name resolves back to the address (IPv4 and IPv6)', async () => {
      const report = await check(dns, 'notices@kniha.test', [server(1, 'ptr-ok.test'), server(2, 'ptr-v6.test')]);
      expect(report.servers.map((s) => s.reverseDns)).toEqual([
        [expect.objectContaining({ address: '127.0.8.10', ptr: 'ptr-ok.test', forwardConfirmed: true })],
        [expect.objectContaining({ address: '2001:db8:8::25', ptr: 'ptr-v6.test', forwardConfirmed: true })],
      ]);
      expect(dns.queries).toContain('PTR 5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
      expect(requirement(report, 'REVERSE_DNS').met).toBe(true);
      expect(codes(report).filter((c) => c.startsWith('REVERSE_DNS'))).toEqual([]);
    });

    it('a PTR name pointing elsewhere and a missing PTR are not confirmed; the finding names the address and the server operator', async () => {
      const report = await check(dns, 'notices@kniha.test', [server(1, 'ptr-bad.test'), server(2, '127.0.8.12')]);
      expect(report.servers.map((s) => s.reverseDns)).toEqual([
        [expect.objectContaining({ address: '127.0.8.11', ptr: 'elsewhere.test', forwardConfirmed: false })],
        [expect.objectContaining({ address: '127.0.8.12', ptr: null, forwardConfirmed: false })],
      ]);
      const messages = report.findings.filter((f) => f.code === 'REVERSE_DNS_NOT_CONFIRMED').map((f) => f.message);
      expect(messages).toEqual([
        expect.stringMatching(/Address 127\.0\.8\.11 .*PTR name elsewhere\.test, which does not resolve back/),
        expect.stringMatching(/Address 127\.0\.8\.12 .*has no PTR/),
      ]);
      for (const message of messages) expect(message).toMatch(/fixed by the server's operator .*not by the library/);
      expect(requirement(report, 'REVERSE_DNS')).toMatchObject({ met: false, bulkOnly: false, message: expect.stringContaining('127.0.8.11') });
    });
  });

  describe('the verdict', () => {
    it('ready but not bulkReady: SPF and DKIM pass on primary and failover, but there is no DMARC record', async () => {
      const report = await check(dns, 'upominky@kniha.test', [server(1, 'smtp.vendor.test', ['clavius1']), server(2, 'smtp2.vendor.test', ['clavius1'])]);
      expect(report.gmail).toMatchObject({ ready: true, bulkReady: false });
      expect(report.gmail.requirements.map((r) => [r.code, r.met, r.bulkOnly])).toEqual([
        ['SPF_OR_DKIM', true, false],
        ['REVERSE_DNS', true, false],
        ['SPF_AND_DKIM', true, true],
        ['DMARC_RECORD', false, true],
        ['DMARC_ALIGNED', false, true],
      ]);
      expect(requirement(report, 'DMARC_RECORD').message).toContain('"v=DMARC1; p=none" at _dmarc.kniha.test');
      expect(requirement(report, 'DMARC_ALIGNED').message).toMatch(/default relaxed alignment every server would align, so publishing the record/);
      expect(requirement(report, 'SPF_AND_DKIM').message).toMatch(/cannot see signatures/);
    });

    it('a failover server counts: the primary passing does not make the chain ready when the next server has no PTR', async () => {
      const report = await check(dns, 'upominky@kniha.test', [server(1, 'smtp.vendor.test', ['clavius1']), server(2, '127.0.8.12', ['clavius1'])]);
      expect(report.gmail.ready).toBe(false);
      expect(requirement(report, 'REVERSE_DNS').message).toContain('127.0.8.12 of "server 2"');
    });

    it('SPF_OR_DKIM: a server without a passing SPF check nor a valid key for its selectors is named', async () => {
      const report = await check(dns, 'notices@keys.test', [server(1, 'smtp.vendor.test', ['rsa2048']), server(2, 'ptr-v6.test', ['rsa768'])]);
      expect(met(report)).toMatchObject({ SPF_OR_DKIM: false, REVERSE_DNS: true });
      expect(requirement(report, 'SPF_OR_DKIM').message).toMatch(/"server 2" \(ptr-v6\.test\) pass neither SPF nor DKIM/);
      expect(report.gmail.ready).toBe(false);
    });

    it('bulkReady with strict alignment when the key and SPF are for the From domain itself', async () => {
      const report = await check(dns, 'upominky@bulk.test', [server(1, 'smtp.vendor.test', ['clavius1'])]);
      expect(report.gmail).toMatchObject({ ready: true, bulkReady: true });
    });
  });

  describe('DMARC alignment of a subdomain sender signed with d=<organisational domain>', () => {
    it('strict (adkim=s): the key at strict-org.test passes DKIM but does not align with mail.strict-org.test', async () => {
      const report = await check(dns, 'upominky@mail.strict-org.test', [server(1, 'smtp.vendor.test', ['clavius1'])]);
      expect(report.dkim).toEqual([expect.objectContaining({ selector: 'clavius1', domain: 'strict-org.test', result: 'VALID', keyBits: 2048 })]);
      expect(met(report)).toEqual({ SPF_OR_DKIM: true, REVERSE_DNS: true, SPF_AND_DKIM: false, DMARC_RECORD: true, DMARC_ALIGNED: false });
      expect(requirement(report, 'DMARC_ALIGNED').message).toMatch(/published at strict-org\.test.*strict alignment \(adkim=s\).*adkim=r/);
      expect(report.gmail).toMatchObject({ ready: true, bulkReady: false });
    });

    it('relaxed (adkim=r): the same setup aligns, organisational domains being equal', async () => {
      const report = await check(dns, 'upominky@mail.relaxed-org.test', [server(1, 'smtp.vendor.test', ['clavius1'])]);
      expect(report.dkim).toEqual([expect.objectContaining({ domain: 'relaxed-org.test', result: 'VALID' })]);
      expect(met(report)).toMatchObject({ DMARC_RECORD: true, DMARC_ALIGNED: true });
    });
  });

  it('DKIM and PTR lookups draw on the same DNS budget: past it they are TEMPERROR and DNS_BUDGET_EXHAUSTED says why', async () => {
    const meter = new DnsBudget(3, new DnsRateLimiter(1_000_000), 'tester');
    const before = dns.queries.length;
    const report = await checkDeliverability(
      { sender: 'upominky@kniha.test', servers: [server(1, 'smtp.vendor.test', ['clavius1', 'other'])] },
      { resolver: meteredBy(createDnsResolver({ servers: [dns.address], timeoutMs: 300, cacheSeconds: 0 }), meter), now: () => CHECKED_AT, budget: meter },
    );
    expect(dns.queries.length - before).toBe(3);
    expect(report.dkim.map((k) => k.result)).toContain('TEMPERROR');
    expect(report.servers[0].reverseDns).toEqual([expect.objectContaining({ forwardConfirmed: false })]);
    expect(codes(report)).toContain('DNS_BUDGET_EXHAUSTED');
    expect(report.gmail.ready).toBe(false);
  });
});
