import { expectError } from '../support/expect-error';
import { startTestDnsServer, TestDnsServer } from '../deliverability/support/dns-test-server';
import { gmailZone } from '../deliverability/support/gmail-zones';
import { createChain, createLibrary, unique } from '../support/fixtures';
import { DatabaseKind, mysqlAvailable, startTestGateway, TestGateway } from '../support/gateway';

/**
 * Google's sender guidelines over GraphQL: SmtpServer.dkimSelectors is stored and validated, and
 * effectiveMailConfig { deliverability { dkim servers { reverseDns } gmail } } reads a real DNS
 * server on loopback (dns2) serving test/deliverability/support/gmail-zones.ts.
 */

const SERVER = 'id name dkimSelectors version';
const CREATE = `mutation CreateSmtpServer($input: SmtpServerInput!) { createSmtpServer(input: $input) { ${SERVER} } }`;
const UPDATE = `mutation UpdateSmtpServer($id: ID!, $input: SmtpServerUpdateInput!) { updateSmtpServer(id: $id, input: $input) { ${SERVER} } }`;
const READ = `query SmtpServer($id: ID!) { smtpServer(id: $id) { ${SERVER} } }`;
const EFFECTIVE = `query EffectiveMailConfig($libraryId: ID!) {
  effectiveMailConfig(libraryId: $libraryId) {
    deliverability {
      servers { server { id } result reverseDns { address ptr forwardConfirmed } }
      dkim { server { id } selector domain record keyType keyBits result }
      gmail { ready bulkReady requirements { code met bulkOnly message } }
      findings { code message }
    }
  }
}`;

interface ServerRow {
  id: string;
  name: string;
  dkimSelectors: string[];
  version: number;
}

for (const kind of ['sqlite', 'mysql'] as DatabaseKind[]) {
  const run = kind === 'sqlite' || mysqlAvailable() ? describe : describe.skip;
  run(`Gmail readiness over GraphQL [${kind}]`, () => {
    let gw: TestGateway;
    let dns: TestDnsServer;
    beforeAll(async () => {
      dns = await startTestDnsServer(gmailZone());
      gw = await startTestGateway(kind, { dns: { servers: [dns.address], timeoutMs: 1000, cacheSeconds: 0 } });
    });
    afterAll(async () => {
      await gw?.close();
      await dns?.close();
    });

    const base = (host = 'smtp.vendor.test') => ({ name: unique(host), host, port: 587, allowTls: true, connectionTimeoutMs: 3000, timeoutMs: 5000 });

    describe('SmtpServer.dkimSelectors', () => {
      it('is [] by default, stored lower-case and once each, replaced on update, cleared by null, and audited', async () => {
        const created = (await gw.ok<{ createSmtpServer: ServerRow }>(CREATE, { input: base() })).createSmtpServer;
        expect(created.dkimSelectors).toEqual([]);
        const updated = (
          await gw.ok<{ updateSmtpServer: ServerRow }>(UPDATE, { id: created.id, input: { dkimSelectors: ['Clavius1', 'clavius-2025', 'clavius1'] } })
        ).updateSmtpServer;
        expect(updated).toMatchObject({ dkimSelectors: ['clavius1', 'clavius-2025'], version: 2 });
        expect((await gw.ok<{ smtpServer: ServerRow }>(READ, { id: created.id })).smtpServer.dkimSelectors).toEqual(['clavius1', 'clavius-2025']);

        const audit = await gw.ok<{ auditLog: Array<{ action: string; changes: Array<{ field: string; before: string | null; after: string | null }> }> }>(
          `query Audit($id: ID!) { auditLog(entityType: "SmtpServer", entityId: $id) { action changes { field before after } } }`,
          { id: created.id },
        );
        const change = audit.auditLog.find((e) => e.action === 'updateSmtpServer')?.changes.find((c) => c.field === 'dkimSelectors');
        expect(change?.after).toContain('clavius-2025');

        const cleared = (await gw.ok<{ updateSmtpServer: ServerRow }>(UPDATE, { id: created.id, input: { dkimSelectors: null } })).updateSmtpServer;
        expect(cleared.dkimSelectors).toEqual([]);
      });

      it.each([
        ['-lead', 'a hyphen first'],
        ['trail-', 'a hyphen last'],
        ['has.dot', 'a dot'],
        ['under_score', 'an underscore'],
        ['', 'an empty label'],
        ['x'.repeat(64), '64 characters'],
      ])('refuses %p (%s): BAD_USER_INPUT on field dkimSelectors, the value not echoed, nothing written', async (selector) => {
        const created = (await gw.ok<{ createSmtpServer: ServerRow }>(CREATE, { input: { ...base(), dkimSelectors: ['good'] } })).createSmtpServer;
        const result = await gw.gql(UPDATE, { id: created.id, input: { dkimSelectors: ['ok', selector] } });
        expectError(result, 'BAD_USER_INPUT', { field: 'dkimSelectors' });
        expect(result.errors![0].message).toMatch(/entry 2 must be a DNS label/);
        if (selector.length > 2) expect(result.errors![0].message).not.toContain(selector);
        expect((await gw.ok<{ smtpServer: ServerRow }>(READ, { id: created.id })).smtpServer).toMatchObject({ dkimSelectors: ['good'], version: 1 });
      });

      it('refuses more than 10 selectors on create, and a 63-character label is accepted', async () => {
        const many = Array.from({ length: 11 }, (_, i) => `s${i}`);
        expectError(await gw.gql(CREATE, { input: { ...base(), dkimSelectors: many } }), 'BAD_USER_INPUT', { field: 'dkimSelectors' });
        const longest = 'a'.repeat(63);
        const created = (await gw.ok<{ createSmtpServer: ServerRow }>(CREATE, { input: { ...base(), dkimSelectors: [...many.slice(0, 9), longest] } }))
          .createSmtpServer;
        expect(created.dkimSelectors).toHaveLength(10);
      });
    });

    describe('DeliverabilityReport.dkim, SpfServerCheck.reverseDns and DeliverabilityReport.gmail', () => {
      async function reportFor(sender: string, hosts: Array<[string, string[]]>) {
        const servers = await createChain<ServerRow>(
          gw,
          hosts.map(([host, dkimSelectors]) => ({ ...base(host), dkimSelectors })),
          { document: CREATE },
        );
        const code = unique('LIB');
        const libraryId = (await createLibrary<{ id: string }>(gw, { code, shortName: code, contactEmail: sender, smtpServerId: servers[0].id })).id;
        const data = await gw.ok<{ effectiveMailConfig: { deliverability: any } }>(EFFECTIVE, { libraryId });
        return { servers, report: data.effectiveMailConfig.deliverability };
      }

      it('a library that is ready but not bulkReady: SPF and DKIM pass on primary and failover, reverse DNS confirmed, no DMARC record', async () => {
        const { servers, report } = await reportFor('upominky@kniha.test', [
          ['smtp.vendor.test', ['clavius1']],
          ['smtp2.vendor.test', ['clavius1']],
        ]);
        expect(report.servers.map((s: any) => s.reverseDns)).toEqual([
          [{ address: '127.0.8.1', ptr: 'smtp.vendor.test', forwardConfirmed: true }],
          [{ address: '127.0.8.2', ptr: 'smtp2.vendor.test', forwardConfirmed: true }],
        ]);
        expect(report.dkim).toEqual(
          servers.map((s) =>
            expect.objectContaining({ server: { id: s.id }, selector: 'clavius1', domain: 'kniha.test', keyType: 'rsa', keyBits: 2048, result: 'VALID' }),
          ),
        );
        expect(report.gmail.ready).toBe(true);
        expect(report.gmail.bulkReady).toBe(false);
        expect(report.gmail.requirements.filter((r: any) => !r.met).map((r: any) => [r.code, r.bulkOnly])).toEqual([
          ['DMARC_RECORD', true],
          ['DMARC_ALIGNED', true],
        ]);
      });

      it('a weak key, a missing key and an unconfirmed PTR are reported with findings that say who fixes them', async () => {
        const { report } = await reportFor('notices@keys.test', [
          ['ptr-bad.test', ['rsa768', 'gone']],
          ['smtp.vendor.test', ['rsa1024']],
        ]);
        expect(report.dkim.map((k: any) => [k.selector, k.keyBits, k.result])).toEqual([
          ['rsa768', 768, 'WEAK'],
          ['gone', null, 'MISSING'],
          ['rsa1024', 1024, 'VALID'],
        ]);
        expect(report.servers[0].reverseDns).toEqual([{ address: '127.0.8.11', ptr: 'elsewhere.test', forwardConfirmed: false }]);
        const byCode = Object.fromEntries(report.findings.map((f: any) => [f.code, f.message]));
        expect(byCode.DKIM_KEY_MISSING).toContain('gone._domainkey.keys.test');
        expect(byCode.REVERSE_DNS_NOT_CONFIRMED).toMatch(/127\.0\.8\.11.*server's operator/);
        expect(report.gmail).toMatchObject({ ready: false, bulkReady: false });
      });

      it('effectiveMailConfig without deliverability asks the DNS nothing', async () => {
        const [server] = await createChain<ServerRow>(gw, [{ ...base(), dkimSelectors: ['clavius1'] }], { document: CREATE });
        const code = unique('LIB');
        const libraryId = (await createLibrary<{ id: string }>(gw, { code, shortName: code, contactEmail: 'upominky@kniha.test', smtpServerId: server.id })).id;
        const asked = dns.queries.length;
        await gw.ok(`query E($libraryId: ID!) { effectiveMailConfig(libraryId: $libraryId) { servers { id dkimSelectors } } }`, { libraryId });
        expect(dns.queries.length).toBe(asked);
      });
    });
  });
}
