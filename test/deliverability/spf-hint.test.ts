import { validateSpfHint } from '../../src/mail/deliverability';

// D13: a server's SPF hint is pasted into the suggested record, so it must be exactly one mechanism.
describe('D13 validateSpfHint', () => {
  it.each([
    'include:clavius.cz',
    'include:_spf.websupport.sk',
    'include:_spf.google.com.',
    '~include:clavius.cz',
    'a',
    'a:smtp.clavius.cz',
    'a/24',
    'a:smtp.clavius.cz/24//64',
    'mx',
    'mx:xyz.cz',
    'MX',
    'ip4:192.0.2.10',
    'ip4:192.0.2.0/24',
    'ip6:2001:db8::10',
    'ip6:2001:db8::/48',
    'exists:%{i}._spf.clavius.cz',
    'exists:%{ir}.%{l1r+-}._spf.%{d}',
  ])('accepts %s', (hint) => {
    expect(validateSpfHint(hint)).toEqual({ ok: true, hint });
  });

  it('drops a redundant + qualifier', () => {
    expect(validateSpfHint('+include:clavius.cz')).toEqual({ ok: true, hint: 'include:clavius.cz' });
  });

  it.each<[string, RegExp]>([
    ['', /empty/],
    ['include:clavius.cz\r\n', /line breaks/],
    ['include:clavius.cz\nredirect=x.cz', /line breaks/],
    ['include:clavius.cz ~all', /without spaces/],
    [' include:clavius.cz', /without spaces/],
    ['v=spf1', /not a whole record/],
    ['v=spf1 include:clavius.cz -all', /without spaces/],
    ['all', /"all" cannot be a hint/],
    ['-all', /"all" cannot be a hint/],
    ['~all', /"all" cannot be a hint/],
    ['redirect=_spf.clavius.cz', /modifier/],
    ['exp=explain.clavius.cz', /modifier/],
    ['ptr', /ptr/],
    ['ptr:clavius.cz', /ptr/],
    ['include', /needs a domain/],
    ['include:', /needs a domain/],
    ['include:clavius', /fully qualified/],
    ['include:clav_ius..cz', /not a valid domain/],
    ['include:-clavius.cz', /not a valid domain/],
    ['include:clavius.123', /not a valid domain/],
    ['include:%{z}.clavius.cz', /invalid macro/],
    ['a:smtp.clavius.cz/33', /between 0 and 32/],
    ['a//129', /between 0 and 128/],
    ['a:', /needs a domain/],
    ['ip4:192.0.2.300', /IPv4/],
    ['ip4:2001:db8::1', /IPv4/],
    ['ip4:192.0.2.0/33', /between 0 and 32/],
    ['ip4:192.0.2.0/024', /between 0 and 32/],
    ['ip6:192.0.2.1', /IPv6/],
    ['ip6:2001:db8::/129', /between 0 and 128/],
    ['ip6', /IPv6/],
    ['*include:clavius.cz', /not an SPF mechanism/],
    ['includes:clavius.cz', /not an SPF mechanism/],
    ['include:klávius.cz', /printable ASCII/],
    [`include:${'a'.repeat(250)}.cz`, /longer than/],
  ])('rejects %j', (hint, message) => {
    const result = validateSpfHint(hint);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.message).toMatch(/^SPF hint /);
      expect(result.message).toMatch(message);
    }
  });
});
