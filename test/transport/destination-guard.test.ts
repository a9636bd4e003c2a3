import { resolveDestination } from '../../src/mail/transport/resolve-destination';
import { forbiddenHostReason } from '../../src/security/destination-guard';
import { formatIpAddress, parseIpAddress } from '../../src/security/ip-address';

/** The destination guard compares addresses, not strings: every spelling of one address gets one answer. */

const REFUSED = [
  // spellings of 169.254.169.254 (link-local, instance metadata)
  '169.254.169.254',
  '169.254.169.254.',
  '[169.254.169.254]',
  '::ffff:169.254.169.254',
  '::ffff:a9fe:a9fe',
  '[::ffff:a9fe:a9fe]',
  '0:0:0:0:0:ffff:169.254.169.254',
  '0:0:0:0:0:ffff:a9fe:a9fe',
  '0000:0000:0000:0000:0000:FFFF:A9FE:A9FE',
  '::ffff:0:a9fe:a9fe',
  '::a9fe:a9fe',
  '::169.254.169.254',
  '64:ff9b::a9fe:a9fe',
  '64:ff9b::169.254.169.254',
  '2002:a9fe:a9fe::1',
  '2002:a9fe:a9fe:1234::25',
  '2852039166',
  '0xa9fea9fe',
  '0xa9.0xfe.0xa9.0xfe',
  '0251.0376.0251.0376',
  '169.254.43518',
  '169.16689662',
  // other link-local
  '169.254.0.1',
  'fe80::1',
  '[fe80::abcd]',
  'FE80::1',
  'febf::1',
  'fe80::1%eth0',
  '::ffff:169.254.1.1',
  // unspecified
  '0.0.0.0',
  '0',
  '0.1.2.3',
  '::',
  '0:0:0:0:0:0:0:0',
  '::ffff:0.0.0.0',
  '::ffff:0:0',
  '64:ff9b::0.0.0.0',
  // other clouds' metadata
  'fd00:ec2::254',
  'FD00:EC2:0:0:0:0:0:254',
  '[fd00:ec2::254]',
  '100.100.100.200',
  '::ffff:100.100.100.200',
  '::ffff:6464:64c8',
  '64:ff9b::6464:64c8',
  '2002:6464:64c8::',
  '1684301000',
  'metadata.google.internal',
  'METADATA',
  'metadata.google.internal.',
];

const ALLOWED = [
  '127.0.0.1',
  '::1',
  '[::1]',
  'localhost',
  '10.0.0.5',
  '192.168.1.10',
  '172.16.0.1',
  'smtp.example.org',
  'fd00::1',
  'fd00:ec2::253',
  '::ffff:127.0.0.1',
  '::ffff:10.0.0.1',
  '64:ff9b::a00:1',
  '2002:c000:201::1',
  '2001:db8::25',
  '100.100.100.201',
  '100.64.0.1',
  '0x7f.1',
  '2130706433',
  '169.253.255.255',
  '169.255.0.1',
  'fec0::1',
  'smtp-169-254-169-254.example.org',
];

describe('destination guard: addresses, not strings (issue: guard spellings)', () => {
  it.each(REFUSED)('refuses %s', (host) => {
    expect(forbiddenHostReason(host)).not.toBeNull();
  });

  it.each(ALLOWED)('allows %s (loopback and private relays are legitimate)', (host) => {
    expect(forbiddenHostReason(host)).toBeNull();
  });

  it('never quotes the host in its reason', () => {
    expect(forbiddenHostReason('0xa9.0xfe.0xa9.0xfe')).not.toContain('0xa9');
    expect(forbiddenHostReason('::ffff:a9fe:a9fe')).toMatch(/^host is a link-local address/);
  });

  it.each([
    ['2852039166', '169.254.169.254'],
    ['0xa9.0xfe.0xa9.0xfe', '169.254.169.254'],
    ['0251.0376.0251.0376', '169.254.169.254'],
    ['169.254.43518', '169.254.169.254'],
    ['0x7f.1', '127.0.0.1'],
    ['0:0:0:0:0:ffff:169.254.169.254', '::ffff:a9fe:a9fe'],
    ['FD00:EC2:0:0:0:0:0:254', 'fd00:ec2::254'],
    ['[::1]', '::1'],
  ])('parses %s as the bytes of %s', (text, canonical) => {
    expect(formatIpAddress(parseIpAddress(text)!)).toBe(canonical);
  });

  it.each(['256.1.1.1', '1.2.3.4.5', '09.1.1.1', '4294967296', 'smtp.example.org', '1.2.3.x', ':::1', '1::2::3', ''])('%s is not an address', (text) => {
    expect(parseIpAddress(text)).toBeNull();
  });
});

describe('resolve once, check every address (issue: DNS rebinding)', () => {
  it('refuses a name when any of its addresses is refused, in any spelling the resolver gives', async () => {
    for (const bad of ['169.254.169.254', '::ffff:169.254.169.254', 'fd00:ec2::254', '64:ff9b::a9fe:a9fe', '0.0.0.0']) {
      await expect(resolveDestination('smtp.example.org', async () => ['127.0.0.1', bad])).rejects.toMatchObject({ code: 'EDESTINATION' });
    }
  });

  it('returns the checked address to connect to; an address literal is used as is (canonical form), without a lookup', async () => {
    expect(await resolveDestination('smtp.example.org', async () => ['10.1.2.3', '10.1.2.4'])).toBe('10.1.2.3');
    const noLookup = async (): Promise<string[]> => {
      throw new Error('must not resolve an address literal');
    };
    expect(await resolveDestination('[::1]', noLookup)).toBe('::1');
    expect(await resolveDestination('0x7f.1', noLookup)).toBe('127.0.0.1');
  });

  it("a name that does not resolve (or to nothing) is a DNS failure, without the resolver's text", async () => {
    await expect(
      resolveDestination('nothing.invalid', async () => Promise.reject(Object.assign(new Error('queryA ENOTFOUND nothing.invalid'), { code: 'ENOTFOUND' }))),
    ).rejects.toMatchObject({
      code: 'EDNS',
      originalCode: 'ENOTFOUND',
      message: 'The host name could not be resolved',
    });
    await expect(resolveDestination('empty.invalid', async () => [])).rejects.toMatchObject({ code: 'EDNS' });
  });
});
