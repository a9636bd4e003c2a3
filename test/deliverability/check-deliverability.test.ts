import { startTestDnsServer, TestDnsServer } from './support/dns-test-server';
import { deliverabilityZone } from './support/zones';
import { CHECKED_AT, check, codes, finding, results, server } from './support/check';

describe('R12/D13 checkDeliverability against a real DNS server on 127.0.0.1', () => {
  let dns: TestDnsServer;

  beforeAll(async () => {
    dns = await startTestDnsServer(deliverabilityZone());
  });
  afterAll(() => dns.close());

  describe('R12 example "v=spf1 mx include:clavius.cz ~all"', () => {
    it('authorises the vendor servers (include), the domain MX (mx) and an IPv6 server (ip6 via include)', async () => {
      const report = await check(dns, 'knihovna@xyz.cz', [server(1, 'smtp.clavius.cz'), server(2, 'mail.xyz.cz'), server(3, 'smtp6.clavius.cz')]);
      expect(report).toMatchObject({
        domain: 'xyz.cz',
        spfRecord: 'v=spf1 mx include:clavius.cz ~all',
        spfLookups: 2,
        dmarcRecord: 'v=DMARC1; p=quarantine; rua=mailto:dmarc@xyz.cz',
        dmarcPolicy: 'quarantine',
        suggestedSpfRecord: null,
        checkedAt: CHECKED_AT,
      });
      expect(report.servers).toEqual([
        expect.objectContaining({ serverId: 1, addresses: ['127.0.0.10'], result: 'PASS' }),
        expect.objectContaining({ serverId: 2, addresses: ['127.0.0.20'], result: 'PASS' }),
        expect.objectContaining({ serverId: 3, addresses: ['2001:db8:c1a::25'], result: 'PASS' }),
      ]);
      expect(report.servers[0].explanation).toContain('designates 127.0.0.10 as permitted sender');
      expect(codes(report)).toEqual(['SPF_OK']);
    });

    it('softfails a server the record does not list: a WARNING naming server and address', async () => {
      const report = await check(dns, 'knihovna@xyz.cz', [server(1, 'smtp.clavius.cz'), server(4, 'smtp.other.test')]);
      expect(results(report)).toEqual({ 1: 'PASS', 4: 'SOFTFAIL' });
      const notAuthorised = finding(report, 'SPF_SERVER_NOT_AUTHORIZED');
      expect(notAuthorised).toMatchObject({ severity: 'WARNING' });
      expect(notAuthorised?.message).toContain('"server 4" (smtp.other.test)');
      expect(notAuthorised?.message).toContain('127.0.0.99');
    });
  });

  it('R12 example "v=spf1 include:_spf.websupport.sk include:clavius.cz -all": hosting provider and vendor both pass', async () => {
    const report = await check(dns, 'mvs@knihovna.sk', [server(1, 'smtp.websupport.sk'), server(2, 'smtp.clavius.cz')]);
    expect(report.spfRecord).toBe('v=spf1 include:_spf.websupport.sk include:clavius.cz -all');
    expect(report.spfLookups).toBe(2);
    expect(results(report)).toEqual({ 1: 'PASS', 2: 'PASS' });
    expect(report.dmarcPolicy).toBe('none');
    expect(codes(report)).toEqual(['SPF_OK', 'DMARC_POLICY_NONE']);
  });

  it('R12 no SPF record: NONE, an ERROR that blames the domain DNS and mentions gmail.com, DMARC missing', async () => {
    const report = await check(dns, 'info@nospf.cz', [server(1, 'smtp.clavius.cz', 'include:clavius.cz')]);
    expect(report.spfRecord).toBeNull();
    expect(report.spfLookups).toBeNull();
    expect(results(report)).toEqual({ 1: 'NONE' });
    const missing = finding(report, 'SPF_MISSING');
    expect(missing?.severity).toBe('ERROR');
    expect(missing?.message).toMatch(/most common cause of undelivered mail/);
    expect(missing?.message).toContain('gmail.com');
    expect(missing?.message).toMatch(/fault is in the DNS of nospf\.cz/);
    expect(finding(report, 'DMARC_MISSING')?.severity).toBe('WARNING');
    expect(finding(report, 'DMARC_MISSING')?.message).toMatch(/bulk senders/);
    expect(report.suggestedSpfRecord).toBe('v=spf1 mx include:clavius.cz ~all');
  });

  it('two SPF records: PERMERROR for every server and SPF_MULTIPLE_RECORDS', async () => {
    const report = await check(dns, 'a@twospf.cz', [server(1, 'smtp.clavius.cz')]);
    expect(results(report)).toEqual({ 1: 'PERMERROR' });
    expect(finding(report, 'SPF_MULTIPLE_RECORDS')).toMatchObject({ severity: 'ERROR' });
    expect(report.spfLookups).toBeNull();
  });

  it('an include loop is a PERMERROR (lookup limit), not a hang', async () => {
    const report = await check(dns, 'a@loop.cz', [server(1, '127.0.0.10')]);
    expect(results(report)).toEqual({ 1: 'PERMERROR' });
    expect(finding(report, 'SPF_PERMERROR')?.message).toMatch(/Too many DNS requests.*at most 10/);
    expect(report.spfLookups).toBeGreaterThan(10);
    expect(report.suggestedSpfRecord).toBeNull();
  });

  it('eleven nested includes exceed the 10-lookup limit (PERMERROR); ten are still fine', async () => {
    const tooDeep = await check(dns, 'a@deep.cz', [server(1, '127.0.0.10')]);
    expect(results(tooDeep)).toEqual({ 1: 'PERMERROR' });
    expect(tooDeep.spfLookups).toBe(11);
    expect(finding(tooDeep, 'SPF_PERMERROR')).toMatchObject({ severity: 'ERROR' });

    const atLimit = await check(dns, 'a@deep10.cz', [server(1, '127.0.0.10')]);
    expect(results(atLimit)).toEqual({ 1: 'PASS' });
    expect(atLimit.spfLookups).toBe(10);
  });

  it('three void lookups exceed the limit of two (PERMERROR); two are still fine', async () => {
    const threeVoid = await check(dns, 'a@void.cz', [server(1, '127.0.0.10')]);
    expect(results(threeVoid)).toEqual({ 1: 'PERMERROR' });
    expect(finding(threeVoid, 'SPF_PERMERROR')?.message).toMatch(/void/);

    const twoVoid = await check(dns, 'a@void2.cz', [server(1, '127.0.0.10')]);
    expect(results(twoVoid)).toEqual({ 1: 'PASS' });
  });

  it('-all without the server: FAIL and an ERROR finding', async () => {
    const report = await check(dns, 'a@strict.cz', [server(1, 'smtp.clavius.cz')]);
    expect(results(report)).toEqual({ 1: 'FAIL' });
    const notAuthorised = finding(report, 'SPF_SERVER_NOT_AUTHORIZED');
    expect(notAuthorised?.severity).toBe('ERROR');
    expect(notAuthorised?.message).toContain('smtp.clavius.cz');
    expect(notAuthorised?.message).toContain('127.0.0.10');
  });

  describe('IPv6', () => {
    it('evaluates an AAAA-only host against ip6:', async () => {
      const report = await check(dns, 'a@v6.cz', [server(1, 'smtp.v6.cz'), server(2, '2001:db8:6::99'), server(3, '[2001:0db8:0007::1]')]);
      expect(report.servers.map((s) => [s.addresses, s.result])).toEqual([
        [['2001:db8:6::25'], 'PASS'],
        [['2001:db8:6::99'], 'PASS'],
        [['2001:db8:7::1'], 'FAIL'],
      ]);
    });

    it('treats an IPv4-mapped IPv6 literal as the IPv4 address it is', async () => {
      const report = await check(dns, 'knihovna@xyz.cz', [server(1, '::ffff:127.0.0.10'), server(2, '::FFFF:7f00:63')]);
      expect(report.servers.map((s) => [s.addresses, s.result])).toEqual([
        [['127.0.0.10'], 'PASS'],
        [['127.0.0.99'], 'SOFTFAIL'],
      ]);
    });

    it('checks every address of a dual-stack host and reports the worst', async () => {
      const report = await check(dns, 'a@v6.cz', [server(1, 'dual.v6.cz')]);
      expect(report.servers[0].addresses).toEqual(['127.0.0.60', '2001:db8:6::26']);
      expect(report.servers[0].result).toBe('FAIL');
      expect(report.servers[0].explanation).toMatch(/127\.0\.0\.60: fail.*2001:db8:6::26: pass/);
      expect(finding(report, 'SPF_SERVER_NOT_AUTHORIZED')?.message).toContain('sends from 127.0.0.60,');
    });
  });

  describe('DNS trouble is TEMPERROR with a finding, never a throw or a hang', () => {
    it('a domain whose DNS never answers: TEMPERROR within the 300 ms timeout', async () => {
      const started = Date.now();
      const report = await check(dns, 'a@slow.cz', [server(1, '127.0.0.10'), server(2, 'smtp.slow.cz')]);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(results(report)).toEqual({ 1: 'TEMPERROR', 2: 'TEMPERROR' });
      expect(report.spfRecord).toBeNull();
      expect(codes(report)).not.toContain('SPF_MISSING');
      expect(finding(report, 'SPF_TEMPERROR')?.message).toMatch(/not a verdict.*retry/);
      expect(finding(report, 'SERVER_HOST_TEMPERROR')?.message).toContain('smtp.slow.cz');
      expect(report.suggestedSpfRecord).toBeNull();
    });

    it('a DNS server that never answers anything: every lookup is TEMPERROR within the timeout', async () => {
      const silent = await startTestDnsServer({}, { silent: true });
      try {
        const started = Date.now();
        const report = await check(silent, 'knihovna@xyz.cz', [server(1, 'smtp.clavius.cz'), server(2, '127.0.0.10')]);
        expect(Date.now() - started).toBeLessThan(1000);
        expect(results(report)).toEqual({ 1: 'TEMPERROR', 2: 'TEMPERROR' });
        expect(codes(report)).toEqual(expect.arrayContaining(['SPF_TEMPERROR', 'DMARC_TEMPERROR', 'SERVER_HOST_TEMPERROR']));
        expect(report.findings.every((f) => f.severity !== 'ERROR')).toBe(true);
      } finally {
        await silent.close();
      }
    });

    it('SERVFAIL inside an include is TEMPERROR, not a silent non-match that would read as FAIL', async () => {
      const report = await check(dns, 'a@broken-include.cz', [server(1, '127.0.0.10')]);
      expect(results(report)).toEqual({ 1: 'TEMPERROR' });
      expect(finding(report, 'SPF_TEMPERROR')?.message).toContain('SERVFAIL');
      expect(codes(report)).not.toContain('SPF_SERVER_NOT_AUTHORIZED');
    });

    it('a refused query and an unreachable DNS server are TEMPERROR too', async () => {
      const refused = await check(dns, 'a@refused.cz', [server(1, '127.0.0.10')]);
      expect(results(refused)).toEqual({ 1: 'TEMPERROR' });
      expect(finding(refused, 'SPF_TEMPERROR')?.message).toContain('refused');

      const closed = await startTestDnsServer({});
      const address = closed.address;
      await closed.close();
      const unreachable = await check({ ...closed, address }, 'a@xyz.cz', [server(1, '127.0.0.10')]);
      expect(results(unreachable)).toEqual({ 1: 'TEMPERROR' });
      expect(codes(unreachable)).toContain('SPF_TEMPERROR');
    });
  });

  it('a server host that does not exist is reported, and the other servers are still checked', async () => {
    const report = await check(dns, 'knihovna@xyz.cz', [server(1, 'nowhere.xyz.cz'), server(2, 'smtp.clavius.cz')]);
    expect(report.servers[0]).toMatchObject({ addresses: [], result: 'TEMPERROR' });
    expect(finding(report, 'SERVER_HOST_UNRESOLVED')).toMatchObject({ severity: 'ERROR' });
    expect(report.servers[1].result).toBe('PASS');
  });

  it('an invalid sender address is a finding, not an exception', async () => {
    const report = await check(dns, 'not-an-address', [server(1, '127.0.0.10')]);
    expect(codes(report)).toEqual(['SENDER_INVALID']);
    expect(report.servers).toEqual([expect.objectContaining({ serverId: 1, result: 'NONE' })]);
  });

  it('no servers: still reports SPF and DMARC of the sender domain', async () => {
    const report = await check(dns, 'knihovna@xyz.cz', []);
    expect(report.servers).toEqual([]);
    expect(report.spfRecord).toBe('v=spf1 mx include:clavius.cz ~all');
    expect(codes(report)).toEqual(['NO_SERVERS']);
  });

  it('only asks the DNS server each question once per check', async () => {
    const before = dns.queries.length;
    await check(dns, 'knihovna@xyz.cz', [server(1, 'smtp.clavius.cz'), server(2, 'smtp2.clavius.cz'), server(3, 'smtp.other.test')]);
    const asked = dns.queries.slice(before);
    expect(asked.length).toBe(new Set(asked).size);
  });
});
