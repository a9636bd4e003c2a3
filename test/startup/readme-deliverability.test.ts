import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestDnsServer, TestDnsServer, Zone } from '../deliverability/support/dns-test-server';
import { startTestGateway, TestGateway } from '../support/gateway';

/**
 * R12/D13: the README's deliverability example is a real report. Its ```graphql block is run
 * against a gateway whose DNS is a dns2 server on loopback serving the source document's first
 * example (knihovna@xyz.cz, sent through the vendor's primary and secondary servers with spfHint
 * include:clavius.cz) before xyz.cz authorises clavius.cz; then the suggested record is published
 * in the zone and the query runs again. Both answers must equal the README's ```json blocks.
 *
 * The section is read from README.md under "## Deliverability (SPF and DMARC)".
 */

const ROOT = join(__dirname, '..', '..');
const README = join(ROOT, 'README.md');
const HEADING = '## Deliverability (SPF and DMARC)';
const BEFORE_LABEL = 'Before:';
const AFTER_LABEL = 'After applying suggestedSpfRecord:';

/** What the domain publishes before its administrator acts: its own MX only, soft policy. */
const SPF_BEFORE = 'v=spf1 mx ~all';

/** Documentation address ranges only (RFC 5737, RFC 3849); served by the in-process DNS server, never looked up on the internet. */
function exampleZone(xyzSpf: string): Zone {
  return {
    'xyz.cz': { TXT: [xyzSpf], MX: [{ exchange: 'mail.xyz.cz', priority: 10 }] },
    'mail.xyz.cz': { A: ['192.0.2.20'] },
    '_dmarc.xyz.cz': { TXT: ['v=DMARC1; p=quarantine; rua=mailto:dmarc@xyz.cz'] },
    'clavius.cz': { TXT: ['v=spf1 ip4:198.51.100.0/28 ip6:2001:db8:c1a::/48 -all'] },
    'smtp.clavius.cz': { A: ['198.51.100.10'], AAAA: ['2001:db8:c1a::10'] },
    'smtp2.clavius.cz': { A: ['198.51.100.11'] },
  };
}

interface Example {
  source: string;
  query: string;
  before: unknown;
  after: unknown;
}

function readSection(): { source: string; text: string } {
  const readme = readFileSync(README, 'utf8');
  const start = readme.indexOf(`\n${HEADING}\n`);
  if (start < 0) throw new Error(`README.md has no "${HEADING}" section`);
  const body = readme.slice(start + HEADING.length + 2);
  const end = body.search(/^## /m);
  return { source: 'README.md', text: end >= 0 ? body.slice(0, end) : body };
}

function parseExample(): Example {
  const { source, text } = readSection();
  const pattern = new RegExp(
    '```graphql\\n([\\s\\S]*?)```\\s*' +
      `${escape(BEFORE_LABEL)}\\s*` +
      '```json\\n([\\s\\S]*?)```\\s*' +
      `${escape(AFTER_LABEL)}\\s*` +
      '```json\\n([\\s\\S]*?)```',
  );
  const match = pattern.exec(text);
  if (!match)
    throw new Error(`${source}: expected a \`\`\`graphql block, "${BEFORE_LABEL}" with a \`\`\`json block, then "${AFTER_LABEL}" with a \`\`\`json block`);
  return { source, query: match[1], before: JSON.parse(match[2]), after: JSON.parse(match[3]) };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('R12/D13 README deliverability example (before and after applying suggestedSpfRecord)', () => {
  let dns: TestDnsServer;
  let gateway: TestGateway;

  beforeAll(async () => {
    dns = await startTestDnsServer(exampleZone(SPF_BEFORE));
    gateway = await startTestGateway('sqlite', { dns: { servers: [dns.address], timeoutMs: 300, cacheSeconds: 0 } });
    const gw = gateway;
    const hint = 'include:clavius.cz';
    const secondary = (
      await gw.ok<any>(`mutation ($input: SmtpServerInput!) { createSmtpServer(input: $input) { id } }`, {
        input: { name: 'Vendor secondary', host: 'smtp2.clavius.cz', port: 587, allowTls: true, spfHint: hint },
      })
    ).createSmtpServer.id;
    const primary = (
      await gw.ok<any>(`mutation ($input: SmtpServerInput!) { createSmtpServer(input: $input) { id } }`, {
        input: { name: 'Vendor primary', host: 'smtp.clavius.cz', port: 587, allowTls: true, spfHint: hint, nextServerId: secondary },
      })
    ).createSmtpServer.id;
    await gw.ok(`mutation ($input: SetSettingInput!) { setSetting(input: $input) { id } }`, {
      input: { key: 'DEFAULT_SMTP_SERVER', scope: 'GLOBAL', value: primary },
    });
    const library = (
      await gw.ok<any>(`mutation ($input: LibraryInput!) { createLibrary(input: $input) { id } }`, {
        input: { code: 'XYZ', name: 'Městská knihovna XYZ', shortName: 'KNIH-XYZ', contactEmail: 'knihovna@xyz.cz' },
      })
    ).createLibrary.id;
    // The example's query names library 1; a fresh database gives the first library that id.
    expect(library).toBe('1');
  });

  afterAll(async () => {
    await gateway?.close();
    await dns?.close();
  });

  async function report(query: string): Promise<Record<string, any>> {
    const data = await gateway.ok<{ effectiveMailConfig: { deliverability: Record<string, any> } }>(query);
    const { deliverability } = data.effectiveMailConfig;
    expect(Number.isNaN(Date.parse(deliverability.checkedAt))).toBe(false);
    return { ...deliverability, checkedAt: '<time>' };
  }

  it('the documented reports are what the gateway answers, before and after the suggested record is published', async () => {
    const query = parseExample().query;

    dns.zone = exampleZone(SPF_BEFORE);
    const before = await report(query);
    expect(before.spfRecord).toBe(SPF_BEFORE);
    expect(before.servers.map((s: any) => s.result)).toEqual(['SOFTFAIL', 'SOFTFAIL']);
    expect(before.findings.map((f: any) => f.code)).toEqual(['SPF_SERVER_NOT_AUTHORIZED', 'SPF_SERVER_NOT_AUTHORIZED']);
    expect(before.suggestedSpfRecord).toBe('v=spf1 mx include:clavius.cz ~all');

    dns.zone = exampleZone(before.suggestedSpfRecord);
    const after = await report(query);
    expect(after.spfRecord).toBe(before.suggestedSpfRecord);
    expect(after.servers.map((s: any) => s.result)).toEqual(['PASS', 'PASS']);
    expect(after.findings.map((f: any) => f.code)).toEqual(['SPF_OK']);
    expect(after.suggestedSpfRecord).toBeNull();

    const documented = parseExample();
    expect({ source: documented.source, before }).toEqual({ source: documented.source, before: documented.before });
    expect({ source: documented.source, after }).toEqual({ source: documented.source, after: documented.after });
  });

  it('the section cannot be mistaken for a query/response pair by the README examples test', () => {
    // test/startup/readme-examples.test.ts runs every ```graphql block directly followed by a
    // ```json block against the demo (without this DNS). "Before:" keeps this example out; this
    // guards against its lazy pattern spanning from this section to a later pair.
    const readme = readFileSync(README, 'utf8');
    const pattern = /```graphql\n([\s\S]*?)```\s*\n```json\n([\s\S]*?)```/g;
    for (let match = pattern.exec(readme); match; match = pattern.exec(readme)) {
      expect(match[1]).not.toContain(BEFORE_LABEL);
      expect(match[1]).not.toContain(AFTER_LABEL);
    }
  });
});
