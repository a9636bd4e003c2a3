import { GatewayError, MailDeliveryError, type Mailer } from 'mail-config-gateway-client';
import { describeEachDatabase } from '../support/gateway';
import { body, closedPort, createTestPki, header, startSmtpSink, TestServers, type TestPki } from '../transport/smtp-fixtures';
import { clientFor, foreignToken, libraryWithChain } from './client-fixtures';

/**
 * The client's mailer against the real gateway and real SMTP servers on loopback: the chain and
 * each server's transport come from the gateway (mail:credentials), and sending follows D11 as the
 * gateway's own test mail does (R11).
 */

const USERNAME = 'notice-sender';
const PASSWORD = 'Client-Test-Pa55-71c0e2';
const WRONG_PASSWORD = 'Client-Wrong-Pa55-93ad41';
const MESSAGE = { to: 'reader@example.net', subject: 'Overdue notice', text: 'Please return the book.' };

const sinks = new TestServers();
let pki: TestPki;
const mailers: Mailer[] = [];

beforeAll(() => {
  pki = createTestPki('Client Test CA');
});
afterEach(async () => {
  await Promise.all(mailers.splice(0).map((mailer) => mailer.close()));
});
afterAll(() => sinks.closeAll());

function summary(attempts: ReadonlyArray<{ server: { name: string }; ok: boolean; errorCode: string | null; responseCode: number | null }>) {
  return attempts.map(({ server, ok, errorCode, responseCode }) => ({ server: server.name, ok, errorCode, responseCode }));
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describeEachDatabase('client mailer: failover through the chain (R11, D11)', (gw) => {
  function mailer(libraryId: string, token = gw().tokens.credentials): Mailer {
    const created = clientFor(gw(), token).client.createMailer({ libraryId });
    mailers.push(created);
    return created;
  }

  it('D11: a dead primary (closed port) is passed over and the secondary delivers, with the effective sender as From', async () => {
    const secondary = await sinks.add(startSmtpSink());
    const { servers, library } = await libraryWithChain(gw(), [{ port: await closedPort() }, { port: secondary.port }]);

    const result = await mailer(library.id).sendMail(MESSAGE);

    expect(summary(result.attempts)).toEqual([
      { server: servers[0].name, ok: false, errorCode: 'CONNECTION_FAILED', responseCode: null },
      { server: servers[1].name, ok: true, errorCode: null, responseCode: null },
    ]);
    expect(result.deliveredBy).toEqual({ id: servers[1].id, name: servers[1].name, host: servers[1].host, port: servers[1].port });
    expect(result.attempts[0].message).toMatch(/ECONNREFUSED/);
    for (const attempt of result.attempts) {
      expect(attempt.startedAt).toBeInstanceOf(Date);
      expect(attempt.durationMs).toEqual(expect.any(Number));
    }
    expect(secondary.received).toHaveLength(1);
    const [mail] = secondary.received;
    expect(mail.mailFrom).toBe(library.contactEmail);
    expect(mail.rcptTo).toEqual(['reader@example.net']);
    expect(header(mail.raw, 'From')).toBe(`"${library.shortName}" <${library.contactEmail}>`);
    expect(header(mail.raw, 'Message-ID')).toBe(result.messageId);
    expect(body(mail.raw)).toContain('Please return the book.');
  });

  it('D11: a refused login (535) moves on to the next server; TLS to the first used its tlsCaPem, and the password is in no message', async () => {
    const refusing = await sinks.add(startSmtpSink({ tls: 'starttls', pki, credentials: { username: USERNAME, password: PASSWORD } }));
    const secondary = await sinks.add(startSmtpSink());
    const { servers, library } = await libraryWithChain(gw(), [
      { port: refusing.port, allowTls: true, requiresAuth: true, tlsCaPem: pki.caPem, username: USERNAME, password: WRONG_PASSWORD },
      { port: secondary.port },
    ]);

    const result = await mailer(library.id).sendMail(MESSAGE);

    expect(summary(result.attempts)).toEqual([
      { server: servers[0].name, ok: false, errorCode: 'AUTH_FAILED', responseCode: 535 },
      { server: servers[1].name, ok: true, errorCode: null, responseCode: null },
    ]);
    // The login reached the credential check, so STARTTLS with the private CA succeeded.
    expect(refusing.authAttempts).toEqual([{ method: 'PLAIN', username: USERNAME, accepted: false }]);
    expect(JSON.stringify(result)).not.toContain(WRONG_PASSWORD);
    expect(refusing.received).toEqual([]);
    expect(secondary.received).toHaveLength(1);
  });

  it('D9: implicit TLS trusted through tlsCaPem, logged in with the decrypted password', async () => {
    const sink = await sinks.add(startSmtpSink({ tls: 'implicit', pki, credentials: { username: USERNAME, password: PASSWORD } }));
    const { servers, library } = await libraryWithChain(gw(), [
      { port: sink.port, allowSsl: true, requiresAuth: true, tlsCaPem: pki.caPem, username: USERNAME, password: PASSWORD },
    ]);

    const result = await mailer(library.id).sendMail(MESSAGE);

    expect(summary(result.attempts)).toEqual([{ server: servers[0].name, ok: true, errorCode: null, responseCode: null }]);
    expect(sink.received).toHaveLength(1);
    expect(sink.received[0]).toMatchObject({ secure: true, user: USERNAME });
    expect(sink.plaintextFromClients()).not.toMatch(/EHLO|AUTH/);
  });

  it('D11: a temporary rejection (450) moves on to the next server', async () => {
    const busy = await sinks.add(startSmtpSink({ rejectRcptTo: { code: 450, message: 'Mailbox busy, try later' } }));
    const secondary = await sinks.add(startSmtpSink());
    const { servers, library } = await libraryWithChain(gw(), [{ port: busy.port }, { port: secondary.port }]);

    const result = await mailer(library.id).sendMail(MESSAGE);

    expect(summary(result.attempts)).toEqual([
      { server: servers[0].name, ok: false, errorCode: 'RECIPIENT_REJECTED', responseCode: 450 },
      { server: servers[1].name, ok: true, errorCode: null, responseCode: null },
    ]);
    expect(busy.received).toEqual([]);
    expect(secondary.received).toHaveLength(1);
  });

  it('D11: a permanent rejection (550) stops the chain: MailDeliveryError REJECTED, the secondary gets nothing', async () => {
    const rejecting = await sinks.add(startSmtpSink({ rejectRcptTo: { code: 550, message: 'No such user here' } }));
    const secondary = await sinks.add(startSmtpSink());
    const { servers, library } = await libraryWithChain(gw(), [{ port: rejecting.port }, { port: secondary.port }]);

    const error = await rejection(mailer(library.id).sendMail(MESSAGE));

    expect(error).toBeInstanceOf(MailDeliveryError);
    const failure = error as MailDeliveryError;
    expect(failure.reason).toBe('REJECTED');
    expect(summary(failure.attempts)).toEqual([{ server: servers[0].name, ok: false, errorCode: 'RECIPIENT_REJECTED', responseCode: 550 }]);
    expect(failure.attempts[0].enhancedStatus).toBeNull();
    expect(failure.message).toContain(servers[0].name);
    expect(rejecting.received).toEqual([]);
    expect(secondary.connections()).toBe(0);
    expect(secondary.received).toEqual([]);
  });

  it('D11: a message whose DATA was accepted without a verdict is never sent again (OUTCOME_UNKNOWN)', async () => {
    const silent = await sinks.add(startSmtpSink({ hangAfterData: true }));
    const secondary = await sinks.add(startSmtpSink());
    const { servers, library } = await libraryWithChain(gw(), [{ port: silent.port, timeoutMs: 1000 }, { port: secondary.port }]);

    const error = await rejection(mailer(library.id).sendMail(MESSAGE));

    expect(error).toBeInstanceOf(MailDeliveryError);
    expect((error as MailDeliveryError).reason).toBe('OUTCOME_UNKNOWN');
    expect(summary((error as MailDeliveryError).attempts)).toEqual([{ server: servers[0].name, ok: false, errorCode: 'TIMEOUT', responseCode: null }]);
    expect((error as MailDeliveryError).attempts[0].message).toMatch(/may have been delivered; not retried/);
    expect(secondary.connections()).toBe(0);
  });

  it('D11: every server down: MailDeliveryError ALL_FAILED naming each server and its failure', async () => {
    const { servers, library } = await libraryWithChain(gw(), [{ port: await closedPort() }, { port: await closedPort() }]);

    const error = await rejection(mailer(library.id).sendMail(MESSAGE));

    expect(error).toBeInstanceOf(MailDeliveryError);
    const failure = error as MailDeliveryError;
    expect(failure.reason).toBe('ALL_FAILED');
    expect(summary(failure.attempts)).toEqual([
      { server: servers[0].name, ok: false, errorCode: 'CONNECTION_FAILED', responseCode: null },
      { server: servers[1].name, ok: false, errorCode: 'CONNECTION_FAILED', responseCode: null },
    ]);
    for (const server of servers) expect(failure.message).toContain(`"${server.name}" (${server.host}:${server.port}) CONNECTION_FAILED`);
  });

  it('D6: a From set in the message wins over the effective sender; the envelope sender follows it', async () => {
    const sink = await sinks.add(startSmtpSink());
    const { library } = await libraryWithChain(gw(), [{ port: sink.port }]);

    const result = await mailer(library.id).sendMail({ ...MESSAGE, from: { name: 'Interlibrary desk', address: 'ill@library.example' } });

    expect(result.envelope).toEqual({ from: 'ill@library.example', to: ['reader@example.net'] });
    expect(header(sink.received[0].raw, 'From')).toBe('Interlibrary desk <ill@library.example>');
    expect(sink.received[0].mailFrom).toBe('ill@library.example');
  });

  it('a token the gateway refuses: getToken() is asked once more, then GatewayError UNAUTHENTICATED (no TypeError)', async () => {
    const sink = await sinks.add(startSmtpSink());
    const { library } = await libraryWithChain(gw(), [{ port: sink.port }]);
    const { client, tokenCalls } = clientFor(gw(), foreignToken);
    const refused = client.createMailer({ libraryId: library.id, follow: false });
    mailers.push(refused);

    const error = await rejection(refused.sendMail(MESSAGE));

    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    expect(tokenCalls()).toBe(2);
    expect(sink.connections()).toBe(0);
  });

  it('D12: a service token without mail:credentials: GatewayError FORBIDDEN at the transport field, nothing sent', async () => {
    const sink = await sinks.add(startSmtpSink());
    const { library } = await libraryWithChain(gw(), [{ port: sink.port }]);

    const error = await rejection(mailer(library.id, gw().tokens.service).sendMail(MESSAGE));

    expect(error).toBeInstanceOf(GatewayError);
    const gatewayError = error as GatewayError;
    expect(gatewayError.code).toBe('FORBIDDEN');
    expect(gatewayError.path).toEqual(['effectiveMailConfig', 'servers', 0, 'transport']);
    expect(gatewayError.message).toMatch(/mail:credentials/);
    expect(sink.connections()).toBe(0);
  });
});
