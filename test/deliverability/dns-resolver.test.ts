import { createDnsResolver, DnsResolve, isVoidDnsError, withDnsCache } from '../../src/mail/deliverability';
import { startTestDnsServer, TestDnsServer } from './support/dns-test-server';

// D13: every deliverability lookup goes through this resolver; DNS failures must surface as
// classifiable errors within the timeout, never as hangs.
describe('D13 createDnsResolver against a real DNS server on 127.0.0.1', () => {
  let dns: TestDnsServer;
  let silent: TestDnsServer;

  beforeAll(async () => {
    dns = await startTestDnsServer({
      'xyz.cz': { TXT: ['v=spf1 mx include:clavius.cz ~all', 'google-site-verification=abc'], MX: [{ exchange: 'mail.xyz.cz', priority: 10 }] },
      // Over 255 characters, so published as two character-strings; small enough for one UDP answer.
      'long.xyz.cz': { TXT: [`v=spf1 ${'ip4:127.0.0.1 '.repeat(22)}-all`] },
      'mail.xyz.cz': { A: ['127.0.0.20'], AAAA: ['2001:db8::20'] },
      'empty.cz': {},
      'servfail.test': 'servfail',
      'refused.test': 'refused',
      'silent.test': 'silent',
    });
    silent = await startTestDnsServer({}, { silent: true });
  });
  afterAll(async () => {
    await dns.close();
    await silent.close();
  });

  const resolver = (extra: { cacheSeconds?: number; timeoutMs?: number } = {}): DnsResolve =>
    createDnsResolver({ servers: [dns.address], timeoutMs: extra.timeoutMs ?? 300, cacheSeconds: extra.cacheSeconds });

  const codeOf = (promise: Promise<unknown>): Promise<string | undefined> =>
    promise.then(
      () => undefined,
      (err: { code?: string }) => err.code,
    );

  it('answers TXT as lists of character-strings, in the shape mailauth joins', async () => {
    const resolve = resolver();
    await expect(resolve('xyz.cz', 'TXT')).resolves.toEqual([['v=spf1 mx include:clavius.cz ~all'], ['google-site-verification=abc']]);
    const [long] = await resolve('long.xyz.cz', 'TXT');
    expect(long).toHaveLength(2);
    expect(long[0]).toHaveLength(255);
    expect(long.join('')).toMatch(/^v=spf1 (ip4:127\.0\.0\.1 ){22}-all$/);
  });

  it('answers A, AAAA and MX like node:dns resolve()', async () => {
    const resolve = resolver();
    await expect(resolve('mail.xyz.cz', 'A')).resolves.toEqual(['127.0.0.20']);
    await expect(resolve('mail.xyz.cz', 'AAAA')).resolves.toEqual(['2001:db8::20']);
    await expect(resolve('xyz.cz', 'MX')).resolves.toEqual([{ exchange: 'mail.xyz.cz', priority: 10 }]);
  });

  it('reports NXDOMAIN as ENOTFOUND and an empty answer as ENODATA (both void for SPF)', async () => {
    const resolve = resolver();
    const nx = resolve('missing.xyz.cz', 'TXT');
    await expect(codeOf(nx)).resolves.toBe('ENOTFOUND');
    await expect(nx.catch(isVoidDnsError)).resolves.toBe(true);
    await expect(codeOf(resolve('empty.cz', 'TXT'))).resolves.toBe('ENODATA');
  });

  it('reports SERVFAIL, REFUSED and an unreachable server as non-void errors', async () => {
    const resolve = resolver();
    await expect(codeOf(resolve('servfail.test', 'TXT'))).resolves.toBe('ESERVFAIL');
    await expect(codeOf(resolve('refused.test', 'TXT'))).resolves.toBe('EREFUSED');
    const closedPort = createDnsResolver({ servers: ['127.0.0.1:1'], timeoutMs: 300, cacheSeconds: 0 });
    const err = await closedPort('xyz.cz', 'TXT').catch((e: unknown) => e);
    expect(isVoidDnsError(err)).toBe(false);
    expect((err as Error).message).toContain('xyz.cz');
  });

  it('gives up on a name that is never answered with ETIMEOUT within the timeout', async () => {
    const started = Date.now();
    await expect(codeOf(resolver()('silent.test', 'TXT'))).resolves.toBe('ETIMEOUT');
    expect(Date.now() - started).toBeLessThan(300 + 250);
  });

  it('gives up on a server that never answers with ETIMEOUT within the timeout, for concurrent lookups too', async () => {
    const resolve = createDnsResolver({ servers: [silent.address], timeoutMs: 200, cacheSeconds: 0 });
    const started = Date.now();
    const codes = await Promise.all(['a.cz', 'b.cz', 'c.cz'].map((name) => codeOf(resolve(name, 'A'))));
    expect(codes).toEqual(['ETIMEOUT', 'ETIMEOUT', 'ETIMEOUT']);
    expect(Date.now() - started).toBeLessThan(200 + 250);
  });

  it('rejects unsupported record types instead of querying', async () => {
    const resolve = resolver() as (name: string, rrtype: string) => Promise<unknown>;
    await expect(codeOf(resolve('xyz.cz', 'SRV'))).resolves.toBe('EBADQUERY');
  });

  it('refuses a bad configuration at creation time', () => {
    expect(() => createDnsResolver({ servers: ['not an address'], timeoutMs: 300 })).toThrow();
    expect(() => createDnsResolver({ timeoutMs: 0 })).toThrow(/timeoutMs/);
  });

  describe('cache', () => {
    const asked = (name: string): number => dns.queries.filter((q) => q.endsWith(` ${name}`)).length;

    it('caches answers (default 300 s) and shares concurrent identical lookups', async () => {
      const resolve = resolver();
      const before = asked('mail.xyz.cz');
      await Promise.all([resolve('mail.xyz.cz', 'A'), resolve('MAIL.xyz.cz.', 'A'), resolve('mail.xyz.cz', 'A')]);
      await resolve('mail.xyz.cz', 'A');
      expect(asked('mail.xyz.cz') - before).toBe(1);
    });

    it('caches "no such name" but not failures, so an outage is retried', async () => {
      const resolve = resolver();
      const nxBefore = asked('nothing.xyz.cz');
      await resolve('nothing.xyz.cz', 'A').catch(() => undefined);
      await resolve('nothing.xyz.cz', 'A').catch(() => undefined);
      expect(asked('nothing.xyz.cz') - nxBefore).toBe(1);

      const failBefore = asked('servfail.test');
      await resolve('servfail.test', 'A').catch(() => undefined);
      await resolve('servfail.test', 'A').catch(() => undefined);
      expect(asked('servfail.test') - failBefore).toBe(2);
    });

    it('asks again after cacheSeconds, and not at all with cacheSeconds 0', async () => {
      let now = 1_000_000;
      let calls = 0;
      const counting = (async () => {
        calls += 1;
        return ['127.0.0.1'];
      }) as DnsResolve;
      const cached = withDnsCache(counting, { cacheSeconds: 300, now: () => now });
      await cached('a.cz', 'A');
      now += 299_000;
      await cached('a.cz', 'A');
      expect(calls).toBe(1);
      now += 2_000;
      await cached('a.cz', 'A');
      expect(calls).toBe(2);

      const uncached = resolver({ cacheSeconds: 0 });
      const before = asked('mail.xyz.cz');
      await uncached('mail.xyz.cz', 'AAAA');
      await uncached('mail.xyz.cz', 'AAAA');
      expect(asked('mail.xyz.cz') - before).toBe(2);
    });

    it('hands out copies, so a caller that sorts or edits an answer cannot corrupt the cache', async () => {
      const resolve = resolver();
      const first = await resolve('xyz.cz', 'MX');
      first[0].exchange = 'tampered.example';
      first.push({ exchange: 'x', priority: 1 });
      await expect(resolve('xyz.cz', 'MX')).resolves.toEqual([{ exchange: 'mail.xyz.cz', priority: 10 }]);
    });
  });
});
