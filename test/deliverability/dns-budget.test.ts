import { ConfigError, loadConfig } from '../../src/config';
import { checkDeliverability, createDnsResolver, DnsBudget, DnsLimitError, DnsRateLimiter, meteredBy } from '../../src/mail/deliverability';
import { MACRO_SERVERS, macroZone, realisticZone } from './support/budget-zones';
import { CHECKED_AT, codes, finding, results, server } from './support/check';
import { deliverabilityZone } from './support/zones';
import { startTestDnsServer, TestDnsServer } from './support/dns-test-server';

/**
 * The DNS budget (DNS_LOOKUPS_PER_REQUEST) and rate (DNS_LOOKUPS_PER_MINUTE) against a real DNS
 * server on loopback: what counts is what the server received.
 */
describe('DNS budget and rate against a real DNS server on 127.0.0.1', () => {
  let dns: TestDnsServer;

  beforeAll(async () => {
    dns = await startTestDnsServer({ ...deliverabilityZone(), ...macroZone(), ...realisticZone() });
  });
  afterAll(async () => {
    await dns.close();
  });

  const sent = async (work: () => Promise<unknown>): Promise<string[]> => {
    const before = dns.queries.length;
    await work();
    return dns.queries.slice(before);
  };
  const budget = (limit: number, perMinute = 1_000_000, identity = 'tester') => new DnsBudget(limit, new DnsRateLimiter(perMinute), identity);
  const shared = (cacheSeconds = 0) => createDnsResolver({ servers: [dns.address], timeoutMs: 500, cacheSeconds });
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => null,
      (err: unknown) => err,
    );

  it('a budget of 3 lets exactly 3 queries out; the rest are refused without a packet, naming DNS_LOOKUPS_PER_REQUEST and its size', async () => {
    const resolve = meteredBy(shared(), budget(3));
    const names = ['xyz.cz', 'knihovna.sk', 'clavius.cz', 'strict.cz', 'v6.cz'];
    let outcomes: unknown[] = [];
    const queries = await sent(async () => {
      outcomes = await Promise.all(names.map((name) => refusal(resolve(name, 'TXT'))));
    });
    expect(queries).toHaveLength(3);
    const refused = outcomes.filter((o): o is DnsLimitError => o instanceof DnsLimitError);
    expect(refused).toHaveLength(2);
    expect(refused[0].code).toBe('EDNSBUDGET');
    expect(refused[0].message).toMatch(/budget of 3 DNS queries \(DNS_LOOKUPS_PER_REQUEST\)/);
  });

  it('cache hits cost nothing: with a budget of 1 the same question can be asked again and again', async () => {
    const resolve = meteredBy(shared(300), budget(1));
    await expect(resolve('xyz.cz', 'MX')).resolves.toEqual([{ exchange: 'mail.xyz.cz', priority: 10 }]);
    await expect(resolve('xyz.cz', 'MX')).resolves.toEqual([{ exchange: 'mail.xyz.cz', priority: 10 }]);
    await expect(refusal(resolve('knihovna.sk', 'MX'))).resolves.toBeInstanceOf(DnsLimitError);
  });

  it('concurrent identical lookups send one query, without a cache too; after they settle the next one asks again', async () => {
    const resolve = shared(0);
    const first = await sent(() => Promise.all(Array.from({ length: 8 }, () => resolve('mail.xyz.cz', 'A'))));
    expect(first).toEqual(['A mail.xyz.cz']);
    const second = await sent(() => resolve('mail.xyz.cz', 'A'));
    expect(second).toEqual(['A mail.xyz.cz']);
  });

  it('a caller out of budget does not pass its refusal on: another request joining the same question gets the answer', async () => {
    const resolve = shared(0);
    const spent = budget(1);
    await meteredBy(resolve, spent)('strict.cz', 'TXT');
    const [refused, answered] = await Promise.all([
      refusal(meteredBy(resolve, spent)('knihovna.sk', 'TXT')),
      meteredBy(resolve, budget(5))('knihovna.sk', 'TXT'),
    ]);
    expect(refused).toBeInstanceOf(DnsLimitError);
    expect(answered).toEqual([['v=spf1 include:_spf.websupport.sk include:clavius.cz -all']]);
  });

  it('the rate is per identity: past DNS_LOOKUPS_PER_MINUTE one identity is refused, another is not, and time refills it', () => {
    let now = 0;
    const rate = new DnsRateLimiter(3, () => now);
    expect([rate.take('a'), rate.take('a'), rate.take('a'), rate.take('a')]).toEqual([true, true, true, false]);
    expect(rate.take('b')).toBe(true);
    now += 20_000;
    expect([rate.take('a'), rate.take('a')]).toEqual([true, false]);
  });

  it('a request refused by the rate names DNS_LOOKUPS_PER_MINUTE and its size', async () => {
    const err = await refusal(meteredBy(shared(), budget(200, 0.5))('xyz.cz', 'TXT'));
    expect(err).toBeInstanceOf(DnsLimitError);
    expect((err as DnsLimitError).code).toBe('EDNSRATE');
    expect((err as DnsLimitError).message).toMatch(/0\.5 DNS queries per minute for this identity \(DNS_LOOKUPS_PER_MINUTE\)/);
  });

  describe('checkDeliverability through a metered resolver', () => {
    const macroServers = MACRO_SERVERS.map((s, i) => server(i + 1, s.host));

    it("mailauth's a:%{l}.%{i} macro lookups are charged too: every query the server saw was paid for, at most the budget", async () => {
      const meter = budget(200);
      let report: Awaited<ReturnType<typeof checkDeliverability>> | null = null;
      const queries = await sent(async () => {
        report = await checkDeliverability({ sender: 'a1@macro.test', servers: macroServers }, { resolver: meteredBy(shared(), meter), now: () => CHECKED_AT });
      });
      expect(queries.some((q) => /^A a1\.127\.0\.3\.\d+\.m\d+\.macro\.test$/.test(q))).toBe(true);
      expect(queries.length).toBe(meter.spent);
      expect(queries.length).toBeLessThanOrEqual(200);
      const checked = report!;
      expect(Object.values(results(checked))).toContain('TEMPERROR');
      expect(finding(checked, 'DNS_BUDGET_EXHAUSTED')?.message).toMatch(/budget of 200 DNS queries \(DNS_LOOKUPS_PER_REQUEST\)/);
      expect(finding(checked, 'SPF_TEMPERROR')?.message).toMatch(/budget of 200 DNS queries \(DNS_LOOKUPS_PER_REQUEST\) is used up/);
    });

    it('a rate refusal in a check is SPF_TEMPERROR and DNS_RATE_LIMITED naming DNS_LOOKUPS_PER_MINUTE', async () => {
      const meter = budget(200, 3);
      const report = await checkDeliverability(
        { sender: 'knihovna@xyz.cz', servers: [server(1, 'smtp.clavius.cz')] },
        { resolver: meteredBy(shared(), meter), now: () => CHECKED_AT },
      );
      expect(results(report)).toEqual({ 1: 'TEMPERROR' });
      expect(finding(report, 'DNS_RATE_LIMITED')?.message).toMatch(/limit of 3 DNS queries per minute \(DNS_LOOKUPS_PER_MINUTE\)/);
      expect(codes(report)).not.toContain('DNS_BUDGET_EXHAUSTED');
    });

    it('the heaviest legitimate check (7 lookups of includes, three servers, one dual-stack) passes well within the default budget', async () => {
      const meter = budget(200);
      const servers = [server(1, 'smtp.library.test'), server(2, 'smtp.hosting.test'), server(3, 'smtp.clavius.cz')];
      const report = await checkDeliverability({ sender: 'notices@library.test', servers }, { resolver: meteredBy(shared(), meter), now: () => CHECKED_AT });
      expect(results(report)).toEqual({ 1: 'PASS', 2: 'PASS', 3: 'PASS' });
      expect(report.spfLookups).toBe(7);
      expect(codes(report)).toEqual(['SPF_OK']);
      expect(meter.spent).toBeLessThan(50);
    });
  });
});

describe('DNS_LOOKUPS_PER_REQUEST and DNS_LOOKUPS_PER_MINUTE configuration', () => {
  it('default to 200 per request and 2000 per identity and minute; other values are taken as given', () => {
    expect(loadConfig({}).dnsLimits).toEqual({ lookupsPerRequest: 200, lookupsPerMinute: 2000 });
    expect(loadConfig({ DNS_LOOKUPS_PER_REQUEST: '50', DNS_LOOKUPS_PER_MINUTE: '600' }).dnsLimits).toEqual({ lookupsPerRequest: 50, lookupsPerMinute: 600 });
  });

  it('refuse zero and non-numbers, naming the variable', () => {
    let problems: string[] = [];
    try {
      loadConfig({ DNS_LOOKUPS_PER_REQUEST: '0', DNS_LOOKUPS_PER_MINUTE: 'lots' });
    } catch (err) {
      problems = err instanceof ConfigError ? err.problems : [];
    }
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^DNS_LOOKUPS_PER_REQUEST/);
    expect(problems[1]).toMatch(/^DNS_LOOKUPS_PER_MINUTE/);
  });
});
