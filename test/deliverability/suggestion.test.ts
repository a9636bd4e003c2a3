import { ServerToCheck } from '../../src/mail/deliverability';
import { startTestDnsServer, TestDnsServer, ZoneEntry } from './support/dns-test-server';
import { deliverabilityZone } from './support/zones';
import { check, codes, finding, server } from './support/check';

// D13: the suggested record keeps what the domain has, adds what the servers need, stays within
// the 10-lookup limit, and, once published, makes every server PASS.
describe('D13 suggestedSpfRecord, before and after publishing it', () => {
  let dns: TestDnsServer;

  beforeAll(async () => {
    dns = await startTestDnsServer(deliverabilityZone());
  });
  beforeEach(() => {
    dns.zone = deliverabilityZone();
  });
  afterAll(() => dns.close());

  /** Publishes `record` as the domain's only SPF record, as its administrator would. */
  function publish(domain: string, record: string): void {
    const entry = dns.zone[domain];
    const current: ZoneEntry = typeof entry === 'object' ? entry : {};
    const other = (current.TXT ?? []).filter((txt) => !/^v=spf1\b/i.test(txt));
    dns.zone = { ...dns.zone, [domain]: { ...current, TXT: [...other, record] } };
  }

  async function expectAllPassAfterPublishing(sender: string, servers: ServerToCheck[], suggested: string): Promise<void> {
    publish(sender.split('@')[1], suggested);
    const after = await check(dns, sender, servers);
    expect(after.spfRecord).toBe(suggested);
    expect(after.servers.map((s) => s.result)).toEqual(servers.map(() => 'PASS'));
    expect(after.suggestedSpfRecord).toBeNull();
    expect(after.spfLookups).toBeLessThanOrEqual(10);
    expect(codes(after)).toContain('SPF_OK');
  }

  it('R12 no record: proposes "v=spf1 mx include:clavius.cz ~all" from the server hint, which then passes', async () => {
    const servers = [server(1, 'smtp.clavius.cz', 'include:clavius.cz'), server(2, 'smtp2.clavius.cz', 'include:clavius.cz')];
    const before = await check(dns, 'info@nospf.cz', servers);
    expect(before.suggestedSpfRecord).toBe('v=spf1 mx include:clavius.cz ~all');
    await expectAllPassAfterPublishing('info@nospf.cz', servers, before.suggestedSpfRecord!);
  });

  it('no record and no hints: the server addresses as ip4:/ip6:', async () => {
    const servers = [server(1, 'dual.v6.cz'), server(2, '127.0.0.10')];
    const before = await check(dns, 'info@nospf.cz', servers);
    expect(before.suggestedSpfRecord).toBe('v=spf1 mx ip4:127.0.0.60 ip6:2001:db8:6::26 ip4:127.0.0.10 ~all');
    await expectAllPassAfterPublishing('info@nospf.cz', servers, before.suggestedSpfRecord!);
  });

  it('no record and no MX: leaves out "mx"', async () => {
    dns.zone = { ...dns.zone, 'nomx.cz': { A: ['127.0.0.70'] } };
    const before = await check(dns, 'a@nomx.cz', [server(1, 'smtp.clavius.cz', 'include:clavius.cz')]);
    expect(before.suggestedSpfRecord).toBe('v=spf1 include:clavius.cz ~all');
  });

  it('R12 -all record missing the vendor: keeps mechanisms and qualifier, adds the hint', async () => {
    const servers = [server(1, 'smtp.clavius.cz', 'include:clavius.cz')];
    const before = await check(dns, 'a@strict.cz', servers);
    expect(before.suggestedSpfRecord).toBe('v=spf1 ip4:127.0.0.50 include:clavius.cz -all');
    await expectAllPassAfterPublishing('a@strict.cz', servers, before.suggestedSpfRecord!);
  });

  it('R12 ~all record with a foreign server: adds only what is missing, once', async () => {
    const servers = [
      server(1, 'smtp.clavius.cz', 'include:clavius.cz'),
      server(2, 'smtp.other.test', 'ip4:127.0.0.99'),
      server(3, '127.0.0.99', '+ip4:127.0.0.99'),
    ];
    const before = await check(dns, 'knihovna@xyz.cz', servers);
    expect(before.suggestedSpfRecord).toBe('v=spf1 mx include:clavius.cz ip4:127.0.0.99 ~all');
    await expectAllPassAfterPublishing('knihovna@xyz.cz', servers, before.suggestedSpfRecord!);
  });

  it('IPv6: a dual-stack server gets ip4: for the address the record misses', async () => {
    const servers = [server(1, 'smtp.v6.cz'), server(2, 'dual.v6.cz')];
    const before = await check(dns, 'a@v6.cz', servers);
    expect(before.suggestedSpfRecord).toBe('v=spf1 ip6:2001:db8:6::/64 ip4:127.0.0.60 -all');
    await expectAllPassAfterPublishing('a@v6.cz', servers, before.suggestedSpfRecord!);
  });

  it('IPv6: an AAAA-only server without a hint gets ip6:', async () => {
    const servers = [server(1, 'smtp6.clavius.cz')];
    const before = await check(dns, 'a@strict.cz', servers);
    expect(before.suggestedSpfRecord).toBe('v=spf1 ip4:127.0.0.50 ip6:2001:db8:c1a::25 -all');
    await expectAllPassAfterPublishing('a@strict.cz', servers, before.suggestedSpfRecord!);
  });

  it('two records: merges them into one', async () => {
    const servers = [server(1, 'smtp.clavius.cz', 'include:clavius.cz'), server(2, '127.0.0.99')];
    const before = await check(dns, 'a@twospf.cz', servers);
    expect(before.suggestedSpfRecord).toBe('v=spf1 include:clavius.cz ip4:127.0.0.99 -all');
    await expectAllPassAfterPublishing('a@twospf.cz', servers, before.suggestedSpfRecord!);
  });

  it('a hint that would exceed 10 lookups becomes ip4:/ip6:, and a finding says so', async () => {
    const servers = [server(1, 'smtp.clavius.cz', 'include:clavius.cz')];
    const before = await check(dns, 'a@full.cz', servers);
    expect(before.spfLookups).toBe(10);
    expect(before.suggestedSpfRecord).toMatch(/ include:i10\.full\.cz ip4:127\.0\.0\.10 ~all$/);
    expect(before.suggestedSpfRecord).not.toContain('include:clavius.cz');
    expect(finding(before, 'SPF_SUGGESTION_USES_ADDRESSES')?.message).toMatch(/11 DNS lookups, over the limit of 10/);
    await expectAllPassAfterPublishing('a@full.cz', servers, before.suggestedSpfRecord!);
  });

  it('a hint shared by several servers costs its lookups once', async () => {
    // Nine includes leave room for exactly one more lookup.
    const nine = Array.from({ length: 9 }, (_, i) => `include:i${i + 1}.full.cz`).join(' ');
    dns.zone = { ...dns.zone, 'nine.cz': { TXT: [`v=spf1 ${nine} ~all`] } };
    const servers = [server(1, 'smtp.clavius.cz', 'include:clavius.cz'), server(2, 'smtp2.clavius.cz', 'include:clavius.cz')];
    const before = await check(dns, 'a@nine.cz', servers);
    expect(before.suggestedSpfRecord).toBe(`v=spf1 ${nine} include:clavius.cz ~all`);
    expect(codes(before)).not.toContain('SPF_SUGGESTION_USES_ADDRESSES');
    await expectAllPassAfterPublishing('a@nine.cz', servers, before.suggestedSpfRecord!);
  });

  it('a hint that does not actually cover the server is replaced by its address, with a finding', async () => {
    const servers = [server(1, 'smtp.other.test', 'include:clavius.cz')];
    const before = await check(dns, 'a@strict.cz', servers);
    expect(before.suggestedSpfRecord).toBe('v=spf1 ip4:127.0.0.50 ip4:127.0.0.99 -all');
    expect(finding(before, 'SPF_HINT_INEFFECTIVE')?.message).toContain('127.0.0.99');
    await expectAllPassAfterPublishing('a@strict.cz', servers, before.suggestedSpfRecord!);
  });

  it('an invalid stored hint is ignored with a finding', async () => {
    const servers = [server(1, 'smtp.clavius.cz', 'v=spf1 include:clavius.cz -all')];
    const before = await check(dns, 'a@strict.cz', servers);
    expect(finding(before, 'SPF_HINT_INVALID')).toBeDefined();
    expect(before.suggestedSpfRecord).toBe('v=spf1 ip4:127.0.0.50 ip4:127.0.0.10 -all');
  });

  it('null when every server already passes, and for a PERMERROR that needs a person', async () => {
    expect((await check(dns, 'mvs@knihovna.sk', [server(1, 'smtp.clavius.cz', 'include:clavius.cz')])).suggestedSpfRecord).toBeNull();
    expect((await check(dns, 'a@deep.cz', [server(1, '127.0.0.99', 'ip4:127.0.0.99')])).suggestedSpfRecord).toBeNull();
  });
});
