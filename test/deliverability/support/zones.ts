import { Zone } from './dns-test-server';

/**
 * Names from the source document (R12) served by the in-process test server only; nothing here is
 * ever resolved on the internet. Server addresses are loopback and documentation (2001:db8::/32) ranges.
 */
export function deliverabilityZone(): Zone {
  const zone: Zone = {
    // R12 example 1: own MX plus the vendor's servers, soft policy.
    'xyz.cz': { TXT: ['v=spf1 mx include:clavius.cz ~all'], MX: [{ exchange: 'mail.xyz.cz', priority: 10 }] },
    'mail.xyz.cz': { A: ['127.0.0.20'] },
    '_dmarc.xyz.cz': { TXT: ['v=DMARC1; p=quarantine; rua=mailto:dmarc@xyz.cz'] },
    'clavius.cz': { TXT: ['v=spf1 ip4:127.0.0.10 ip4:127.0.0.11 ip6:2001:db8:c1a::/48 -all'] },
    'smtp.clavius.cz': { A: ['127.0.0.10'] },
    'smtp2.clavius.cz': { A: ['127.0.0.11'] },
    'smtp6.clavius.cz': { AAAA: ['2001:db8:c1a::25'] },
    'smtp.other.test': { A: ['127.0.0.99'] },

    // R12 example 2: hosting provider plus the vendor, hard policy.
    'knihovna.sk': { TXT: ['v=spf1 include:_spf.websupport.sk include:clavius.cz -all'], A: ['127.0.0.30'] },
    '_dmarc.knihovna.sk': { TXT: ['v=DMARC1; p=none'] },
    '_spf.websupport.sk': { TXT: ['v=spf1 ip4:127.0.1.0/24 -all'] },
    'smtp.websupport.sk': { A: ['127.0.1.5'] },

    // No SPF at all (the domain exists: ENODATA, not NXDOMAIN).
    'nospf.cz': { TXT: ['google-site-verification=abc123'], MX: [{ exchange: 'mail.nospf.cz', priority: 10 }] },
    'mail.nospf.cz': { A: ['127.0.0.40'] },

    'twospf.cz': { TXT: ['v=spf1 include:clavius.cz -all', 'v=spf1 ip4:127.0.0.99 -all'] },

    'loop.cz': { TXT: ['v=spf1 include:loop-a.test -all'] },
    'loop-a.test': { TXT: ['v=spf1 include:loop-b.test -all'] },
    'loop-b.test': { TXT: ['v=spf1 include:loop-a.test -all'] },

    // Three names that do not exist: one void lookup over the limit of two.
    'void.cz': { TXT: ['v=spf1 a:gone1.void.cz a:gone2.void.cz a:gone3.void.cz ip4:127.0.0.10 -all'] },
    'void2.cz': { TXT: ['v=spf1 a:gone1.void.cz a:gone2.void.cz ip4:127.0.0.10 -all'] },

    'strict.cz': { TXT: ['v=spf1 ip4:127.0.0.50 -all'] },

    'v6.cz': { TXT: ['v=spf1 ip6:2001:db8:6::/64 -all'] },
    'smtp.v6.cz': { AAAA: ['2001:db8:6::25'] },
    'dual.v6.cz': { A: ['127.0.0.60'], AAAA: ['2001:db8:6::26'] },

    'slow.cz': 'silent',
    'smtp.slow.cz': 'silent',
    'broken-include.cz': { TXT: ['v=spf1 include:servfail.test -all'] },
    'servfail.test': 'servfail',
    'refused.cz': 'refused',
  };

  // Eleven includes in a row: deep.cz -> n1 -> ... -> n11 (one lookup too many); deep10.cz starts at n2.
  zone['deep.cz'] = { TXT: ['v=spf1 include:n1.deep.cz -all'] };
  zone['deep10.cz'] = { TXT: ['v=spf1 include:n2.deep.cz -all'] };
  for (let i = 1; i <= 10; i++) zone[`n${i}.deep.cz`] = { TXT: [`v=spf1 include:n${i + 1}.deep.cz -all`] };
  zone['n11.deep.cz'] = { TXT: ['v=spf1 ip4:127.0.0.10 -all'] };

  // Ten includes: exactly at the limit, so any further include must become ip4/ip6.
  const includes = Array.from({ length: 10 }, (_, i) => `include:i${i + 1}.full.cz`).join(' ');
  zone['full.cz'] = { TXT: [`v=spf1 ${includes} ~all`] };
  for (let i = 1; i <= 10; i++) zone[`i${i}.full.cz`] = { TXT: [`v=spf1 ip4:127.0.2.${i} -all`] };

  return zone;
}
