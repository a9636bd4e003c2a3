import { MailErrorCode } from '../../src/mail/transport/classify-error';
import { verifySmtpServer } from '../../src/mail/transport/verify-smtp-server';
import { closedPort, createTestPki, serverRecord, startSilentServer, startSmtpSink, TestServers, type TestPki } from './smtp-fixtures';

const CREDENTIALS = { username: 'library', password: 'Test-Only-Pa55' };

const servers = new TestServers();
let pki: TestPki;

beforeAll(() => {
  pki = createTestPki();
});

afterAll(() => servers.closeAll());

describe('verifySmtpServer', () => {
  it('plain server without auth: DONE, nothing sent', async () => {
    const sink = await servers.add(startSmtpSink());

    const result = await verifySmtpServer(serverRecord(sink.port));

    expect(result).toEqual({
      ok: true,
      reachedStage: 'DONE',
      errorCode: null,
      responseCode: null,
      enhancedStatus: null,
      message: null,
      durationMs: expect.any(Number),
    });
    expect(sink.connections()).toBe(1);
    expect(sink.received).toEqual([]);
    expect(sink.plaintextFromClients()).toMatch(/^QUIT\r$/m);
    expect(sink.plaintextFromClients()).not.toMatch(/^(MAIL|RCPT|DATA)/m);
  });

  it('STARTTLS and AUTH: DONE after authenticating, nothing sent', async () => {
    const sink = await servers.add(startSmtpSink({ tls: 'starttls', pki, credentials: CREDENTIALS }));
    const server = serverRecord(sink.port, { allowTls: true, requiresAuth: true, tlsCaPem: pki.caPem, ...CREDENTIALS });

    const result = await verifySmtpServer(server);

    expect(result).toMatchObject({ ok: true, reachedStage: 'DONE', errorCode: null });
    expect(sink.authAttempts).toEqual([{ method: 'PLAIN', username: CREDENTIALS.username, accepted: true }]);
    expect(sink.received).toEqual([]);
  });

  it('implicit TLS and AUTH: DONE', async () => {
    const sink = await servers.add(startSmtpSink({ tls: 'implicit', pki, credentials: CREDENTIALS }));
    const server = serverRecord(sink.port, { allowSsl: true, requiresAuth: true, tlsCaPem: pki.caPem, ...CREDENTIALS });

    expect(await verifySmtpServer(server)).toMatchObject({ ok: true, reachedStage: 'DONE' });
  });

  it('wrong password over TLS: AUTH_FAILED after the TLS stage, password not in the message', async () => {
    const sink = await servers.add(startSmtpSink({ tls: 'starttls', pki, credentials: CREDENTIALS }));
    const server = serverRecord(sink.port, {
      allowTls: true,
      requiresAuth: true,
      tlsCaPem: pki.caPem,
      username: CREDENTIALS.username,
      password: 'Wrong-Pa55',
    });

    const result = await verifySmtpServer(server);

    expect(result).toMatchObject({ ok: false, reachedStage: 'TLS', errorCode: MailErrorCode.AUTH_FAILED });
    expect(result.message).toContain('535');
    expect(result.message).not.toContain('Wrong-Pa55');
  });

  it('wrong password without TLS: AUTH_FAILED after the greeting', async () => {
    const sink = await servers.add(startSmtpSink({ credentials: CREDENTIALS }));
    const server = serverRecord(sink.port, { requiresAuth: true, username: CREDENTIALS.username, password: 'Wrong-Pa55' });

    expect(await verifySmtpServer(server)).toMatchObject({
      ok: false,
      reachedStage: 'GREETING',
      errorCode: MailErrorCode.AUTH_FAILED,
    });
  });

  it('auth required but not offered: AUTH_FAILED after the greeting, credentials not sent', async () => {
    const sink = await servers.add(startSmtpSink());
    const server = serverRecord(sink.port, { requiresAuth: true, ...CREDENTIALS });

    const result = await verifySmtpServer(server);

    expect(result).toMatchObject({ ok: false, reachedStage: 'GREETING', errorCode: MailErrorCode.AUTH_FAILED });
    expect(sink.plaintextFromClients()).not.toMatch(/^AUTH/m);
  });

  it('STARTTLS required but not offered: TLS_FAILED after the greeting', async () => {
    const sink = await servers.add(startSmtpSink({ credentials: CREDENTIALS }));
    const server = serverRecord(sink.port, { allowTls: true, requiresAuth: true, ...CREDENTIALS });

    const result = await verifySmtpServer(server);

    expect(result).toMatchObject({ ok: false, reachedStage: 'GREETING', errorCode: MailErrorCode.TLS_FAILED });
    expect(sink.authAttempts).toEqual([]);
  });

  it('STARTTLS with an untrusted certificate: TLS_FAILED after the greeting', async () => {
    const sink = await servers.add(startSmtpSink({ tls: 'starttls', pki }));

    const result = await verifySmtpServer(serverRecord(sink.port, { allowTls: true }));

    expect(result).toMatchObject({ ok: false, reachedStage: 'GREETING', errorCode: MailErrorCode.TLS_FAILED });
    expect(result.message).toMatch(/certificate/i);
  });

  it('implicit TLS with an untrusted certificate: TLS_FAILED at CONNECT', async () => {
    const sink = await servers.add(startSmtpSink({ tls: 'implicit', pki }));

    const result = await verifySmtpServer(serverRecord(sink.port, { allowSsl: true }));

    expect(result).toMatchObject({ ok: false, reachedStage: 'CONNECT', errorCode: MailErrorCode.TLS_FAILED });
  });

  it('refused port: CONNECTION_FAILED at CONNECT', async () => {
    const result = await verifySmtpServer(serverRecord(await closedPort()));

    expect(result).toMatchObject({ ok: false, reachedStage: 'CONNECT', errorCode: MailErrorCode.CONNECTION_FAILED });
    expect(result.message).toMatch(/ECONNREFUSED/);
  });

  it('no greeting: TIMEOUT at CONNECT, after the connection timeout', async () => {
    const silent = await servers.add(startSilentServer());

    const result = await verifySmtpServer(serverRecord(silent.port, { connectionTimeoutMs: 300 }));

    expect(result).toMatchObject({ ok: false, reachedStage: 'CONNECT', errorCode: MailErrorCode.TIMEOUT });
    // A timer may fire a millisecond early against the wall clock; anything near 300 ms is right.
    expect(result.durationMs).toBeGreaterThanOrEqual(295);
    expect(result.durationMs).toBeLessThan(3000);
  });

  it('421 greeting: CONNECTION_FAILED at CONNECT', async () => {
    const sink = await servers.add(startSmtpSink({ rejectConnect: { code: 421, message: 'Too busy' } }));

    const result = await verifySmtpServer(serverRecord(sink.port));

    expect(result).toMatchObject({ ok: false, reachedStage: 'CONNECT', errorCode: MailErrorCode.CONNECTION_FAILED });
  });
});
