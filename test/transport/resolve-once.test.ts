import net from 'node:net';
import { dnsServerLookup } from '../../src/mail/transport/resolve-destination';
import { sendThroughChain } from '../../src/mail/transport/send-through-chain';
import { verifySmtpServer } from '../../src/mail/transport/verify-smtp-server';
import { REBINDING, startAnsweringDns, type AnsweringDns } from './answering-dns';
import { createTestPki, serverRecord, startSmtpSink, TestServers, type TestPki } from './smtp-fixtures';

/**
 * Resolve once, connect to what was checked: a DNS server on loopback answers 127.0.0.1 and
 * 169.254.169.254 in turn with TTL 0. Whatever the order, no connection is ever opened toward
 * 169.254.169.254, and TLS still verifies the certificate against the host name.
 */

const servers = new TestServers();
let dns: AnsweringDns;
let pki: TestPki;
const connectTargets: string[] = [];

beforeAll(async () => {
  dns = await startAnsweringDns((name, n) => (name === 'smtp.rebind.test' ? REBINDING(name, n) : name.endsWith('.tls.test') ? ['127.0.0.1'] : []));
  pki = createTestPki('Resolve Once Test CA', { dns: ['smtp.tls.test'], ips: [] });
  // Records where every socket of this process connects to, then connects as asked.
  const original = net.Socket.prototype.connect;
  jest.spyOn(net.Socket.prototype, 'connect').mockImplementation(function (this: net.Socket, ...args: unknown[]) {
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    if (first && typeof first === 'object' && 'host' in first) connectTargets.push(String((first as { host: unknown }).host));
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  });
});

afterAll(async () => {
  jest.restoreAllMocks();
  await servers.closeAll();
  await dns.close();
});

const lookup = () => dnsServerLookup([dns.address], 1000);

describe('DNS rebinding (resolve once, connect to the checked address)', () => {
  it('verifySmtpServer: four checks against a rebinding name; the refused ones never connect, none goes to 169.254.169.254', async () => {
    const sink = await servers.add(startSmtpSink());
    const server = serverRecord(sink.port, { host: 'smtp.rebind.test' });
    const results = [];
    for (let i = 0; i < 4; i += 1) results.push(await verifySmtpServer(server, { lookup: lookup() }));

    expect(results.map((r) => r.errorCode ?? 'DONE').sort()).toEqual(['CONNECTION_FAILED', 'CONNECTION_FAILED', 'DONE', 'DONE']);
    for (const refused of results.filter((r) => !r.ok)) expect(refused.message).toMatch(/resolves to an address that is a link-local address/);
    expect(sink.connections()).toBe(2);
    expect(connectTargets).not.toContain('169.254.169.254');
    expect(connectTargets.filter((t) => t === 'smtp.rebind.test')).toEqual([]);
  });

  it('sendThroughChain: a rebinding name delivers only through the checked loopback address', async () => {
    const sink = await servers.add(startSmtpSink());
    const server = serverRecord(sink.port, { host: 'smtp.rebind.test' });
    const message = { from: 'a@d1.example', envelopeFrom: 'a@d1.example', to: 'b@d2.example', subject: 's', text: 't', messageId: '<rebind@d1.example>' };
    const outcomes = [];
    for (let i = 0; i < 4; i += 1) outcomes.push((await sendThroughChain([server], message, { lookup: lookup() })).attempts[0].errorCode ?? 'OK');

    expect(outcomes.sort()).toEqual(['CONNECTION_FAILED', 'CONNECTION_FAILED', 'OK', 'OK']);
    expect(sink.received).toHaveLength(2);
    expect(connectTargets).not.toContain('169.254.169.254');
  });
});

describe('TLS after connecting by address: the certificate is checked against the host name (D9)', () => {
  it('implicit TLS to a name the certificate carries (and no IP SAN): DONE, connected by address', async () => {
    const sink = await servers.add(startSmtpSink({ tls: 'implicit', pki }));
    const before = connectTargets.length;
    const result = await verifySmtpServer(serverRecord(sink.port, { host: 'smtp.tls.test', allowSsl: true, tlsCaPem: pki.caPem }), { lookup: lookup() });

    expect(result).toMatchObject({ ok: true, reachedStage: 'DONE' });
    expect(connectTargets.slice(before)).toEqual(['127.0.0.1']);
  });

  it('STARTTLS to a name the certificate carries: DONE', async () => {
    const sink = await servers.add(startSmtpSink({ tls: 'starttls', pki }));
    const result = await verifySmtpServer(serverRecord(sink.port, { host: 'smtp.tls.test', allowTls: true, tlsCaPem: pki.caPem }), { lookup: lookup() });

    expect(result).toMatchObject({ ok: true, reachedStage: 'DONE' });
  });

  it('a name the certificate does not carry, resolving to the same address: TLS_FAILED (the name is verified, not the address)', async () => {
    const sink = await servers.add(startSmtpSink({ tls: 'implicit', pki }));
    const result = await verifySmtpServer(serverRecord(sink.port, { host: 'other.tls.test', allowSsl: true, tlsCaPem: pki.caPem }), { lookup: lookup() });

    expect(result).toMatchObject({ ok: false, errorCode: 'TLS_FAILED' });
  });

  it('the address itself, which the certificate does not carry: TLS_FAILED', async () => {
    const sink = await servers.add(startSmtpSink({ tls: 'implicit', pki }));
    const result = await verifySmtpServer(serverRecord(sink.port, { allowSsl: true, tlsCaPem: pki.caPem }), { lookup: lookup() });

    expect(result).toMatchObject({ ok: false, errorCode: 'TLS_FAILED' });
  });
});
