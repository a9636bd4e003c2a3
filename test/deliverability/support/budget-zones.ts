import { Zone } from './dns-test-server';

/** Servers of the amplification chain: s1.macro.test ... s20.macro.test, one loopback address each. */
export const MACRO_SERVERS = Array.from({ length: 20 }, (_, i) => ({ host: `s${i + 1}.macro.test`, address: `127.0.3.${i + 1}` }));

/**
 * The DNS amplification of the security review: ten `a:` terms built from the sender's local part
 * and the client address, so every sender and every server address asks new names (A and AAAA
 * each). The wildcards answer them, so no lookup is void and the evaluation never stops early.
 */
export function macroZone(): Zone {
  const terms = Array.from({ length: 10 }, (_, i) => `a:%{l}.%{i}.m${i + 1}.macro.test`).join(' ');
  const zone: Zone = { 'macro.test': { TXT: [`v=spf1 ${terms} -all`] } };
  for (let i = 1; i <= 10; i++) zone[`*.m${i}.macro.test`] = { A: ['127.0.9.9'] };
  for (const server of MACRO_SERVERS) zone[server.host] = { A: [server.address] };
  return zone;
}

/**
 * The heaviest legitimate case: a library domain with its own MX and web host, a hosting provider
 * whose record nests two more includes, and the vendor (7 of the 10 lookups SPF allows), checked
 * over a three-server chain, one of them dual-stack.
 */
export function realisticZone(): Zone {
  return {
    'library.test': {
      TXT: ['v=spf1 mx a include:_spf.hosting.test include:clavius.cz ~all', 'google-site-verification=xyz'],
      MX: [{ exchange: 'mx.library.test', priority: 10 }],
      A: ['127.0.4.1'],
    },
    '_dmarc.library.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:dmarc@library.test'] },
    'mx.library.test': { A: ['127.0.4.2'] },
    'smtp.library.test': { A: ['127.0.4.1'] },
    '_spf.hosting.test': { TXT: ['v=spf1 include:_spf1.hosting.test include:_spf2.hosting.test ~all'] },
    '_spf1.hosting.test': { TXT: ['v=spf1 ip4:127.0.5.0/24 a:relay.hosting.test -all'] },
    '_spf2.hosting.test': { TXT: ['v=spf1 ip6:2001:db8:5::/48 -all'] },
    'relay.hosting.test': { A: ['127.0.6.1'] },
    'smtp.hosting.test': { A: ['127.0.5.7'], AAAA: ['2001:db8:5::7'] },
  };
}
