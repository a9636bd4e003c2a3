import { MailErrorCode } from '../../src/mail/transport/classify-error';
import type { OutgoingMessage } from '../../src/mail/transport/compose-message';
import { sendThroughChain } from '../../src/mail/transport/send-through-chain';
import {
  body,
  closedPort,
  createTestPki,
  header,
  headerCount,
  serverRecord,
  startSilentServer,
  startSmtpSink,
  TestServers,
  type SmtpSink,
  type TestPki,
} from './smtp-fixtures';

// "Biblioteka Główna" as RFC 2047 encoded word, the way the sender formatter (D6) produces it.
const FROM = '=?UTF-8?B?QmlibGlvdGVrYSBHxYLDs3duYQ==?= <kontakt@biblioteka.example>';
const CREDENTIALS = { username: 'library', password: 'Test-Only-Pa55' };

const message: OutgoingMessage = {
  from: FROM,
  envelopeFrom: 'bounces@biblioteka.example',
  to: 'reader@example.net',
  subject: 'Interlibrary loan',
  text: 'Your interlibrary loan request 42 is ready.',
  messageId: '<ill-42@biblioteka.example>',
  headers: { 'X-Mail-Purpose': 'INTERLIBRARY_LOAN' },
};

const servers = new TestServers();
let pki: TestPki;
let otherPki: TestPki;

beforeAll(() => {
  pki = createTestPki();
  otherPki = createTestPki('Some Other CA');
});

afterAll(() => servers.closeAll());

function expectDelivered(sink: SmtpSink) {
  expect(sink.received).toHaveLength(1);
  const [mail] = sink.received;
  expect(mail.mailFrom).toBe(message.envelopeFrom);
  expect(mail.rcptTo).toEqual([message.to]);
  expect(header(mail.raw, 'From')).toBe(FROM);
  expect(headerCount(mail.raw, 'From')).toBe(1);
  expect(header(mail.raw, 'To')).toBe(message.to);
  expect(header(mail.raw, 'Message-ID')).toBe(message.messageId);
  expect(header(mail.raw, 'X-Mail-Purpose')).toBe('INTERLIBRARY_LOAN');
  expect(body(mail.raw).trim()).toBe(message.text);
  return mail;
}

/** No trace of the password in what crossed the wire unencrypted, not even base64 encoded. */
function expectPasswordNeverInPlaintext(sink: SmtpSink) {
  const wire = sink.plaintextFromClients();
  expect(wire).not.toContain(CREDENTIALS.password);
  expect(wire).not.toContain(Buffer.from(CREDENTIALS.password).toString('base64'));
  expect(wire).not.toContain(Buffer.from(`\u0000${CREDENTIALS.username}\u0000${CREDENTIALS.password}`).toString('base64'));
}

describe('sendThroughChain: TLS and authentication (D9)', () => {
  it('plain server, plain settings: delivers the message as composed', async () => {
    const sink = await servers.add(startSmtpSink());
    const server = serverRecord(sink.port);

    const result = await sendThroughChain([server], message);

    expect(result).toMatchObject({ ok: true, messageId: message.messageId, deliveredBy: server.id });
    expect(result.attempts).toEqual([
      { serverId: server.id, ok: true, errorCode: null, responseCode: null, enhancedStatus: null, message: null, durationMs: expect.any(Number) },
    ]);
    expect(expectDelivered(sink).secure).toBe(false);
  });

  it('plain settings still upgrade when the server offers STARTTLS', async () => {
    const sink = await servers.add(startSmtpSink({ tls: 'starttls', pki }));

    const result = await sendThroughChain([serverRecord(sink.port, { tlsCaPem: pki.caPem })], message);

    expect(result.ok).toBe(true);
    expect(expectDelivered(sink).secure).toBe(true);
  });

  it('plain settings and an untrusted STARTTLS certificate: TLS_FAILED rather than unchecked TLS, next server delivers', async () => {
    const untrusted = await servers.add(startSmtpSink({ tls: 'starttls', pki }));
    const next = await servers.add(startSmtpSink());

    const result = await sendThroughChain([serverRecord(untrusted.port), serverRecord(next.port)], message);

    expect(result.attempts[0]).toMatchObject({ ok: false, errorCode: MailErrorCode.TLS_FAILED });
    expect(untrusted.received).toEqual([]);
    expect(result.ok).toBe(true);
    expectDelivered(next);
  });

  it('STARTTLS required and offered: upgrades, then authenticates inside TLS', async () => {
    const sink = await servers.add(startSmtpSink({ tls: 'starttls', pki, credentials: CREDENTIALS }));
    const server = serverRecord(sink.port, { allowTls: true, requiresAuth: true, tlsCaPem: pki.caPem, ...CREDENTIALS });

    const result = await sendThroughChain([server], message);

    expect(result.ok).toBe(true);
    const mail = expectDelivered(sink);
    expect(mail).toMatchObject({ secure: true, user: CREDENTIALS.username });
    expect(sink.authAttempts).toEqual([{ method: 'PLAIN', username: CREDENTIALS.username, accepted: true }]);
    expectPasswordNeverInPlaintext(sink);
  });

  it('STARTTLS required but the server has none: TLS_FAILED before any AUTH, next server delivers', async () => {
    const noTls = await servers.add(startSmtpSink({ credentials: CREDENTIALS }));
    const next = await servers.add(startSmtpSink());
    const first = serverRecord(noTls.port, { allowTls: true, requiresAuth: true, ...CREDENTIALS });

    const result = await sendThroughChain([first, serverRecord(next.port)], message);

    expect(result.attempts[0]).toMatchObject({ serverId: first.id, ok: false, errorCode: MailErrorCode.TLS_FAILED });
    expect(noTls.authAttempts).toEqual([]);
    expect(noTls.plaintextFromClients()).toMatch(/^EHLO /m);
    expect(noTls.plaintextFromClients()).not.toMatch(/^AUTH/m);
    expectPasswordNeverInPlaintext(noTls);
    expect(noTls.received).toEqual([]);
    expect(result).toMatchObject({ ok: true, deliveredBy: result.attempts[1].serverId });
    expectDelivered(next);
  });

  it('STARTTLS required, server does not advertise it but accepts it: the session is still encrypted', async () => {
    // nodemailer's requireTLS sends STARTTLS regardless of the EHLO list; what matters for D9 is
    // that nothing goes out unencrypted.
    const sink = await servers.add(startSmtpSink({ tls: 'starttls-hidden', pki, credentials: CREDENTIALS }));
    const server = serverRecord(sink.port, { allowTls: true, requiresAuth: true, tlsCaPem: pki.caPem, ...CREDENTIALS });

    const result = await sendThroughChain([server], message);

    expect(result.ok).toBe(true);
    expect(expectDelivered(sink).secure).toBe(true);
    expectPasswordNeverInPlaintext(sink);
  });

  it('implicit TLS with the server certificate trusted through tlsCaPem', async () => {
    const sink = await servers.add(startSmtpSink({ tls: 'implicit', pki, credentials: CREDENTIALS }));
    const server = serverRecord(sink.port, { allowSsl: true, requiresAuth: true, tlsCaPem: pki.caPem, ...CREDENTIALS });

    const result = await sendThroughChain([server], message);

    expect(result.ok).toBe(true);
    expect(expectDelivered(sink)).toMatchObject({ secure: true, user: CREDENTIALS.username });
  });

  it.each([
    ['without any CA (system roots only)', () => null],
    ['with a CA that did not sign the certificate', () => otherPki.caPem],
  ])('implicit TLS %s: TLS_FAILED, credentials never offered, next server delivers', async (_label, ca) => {
    const tlsSink = await servers.add(startSmtpSink({ tls: 'implicit', pki, credentials: CREDENTIALS }));
    const next = await servers.add(startSmtpSink());
    const first = serverRecord(tlsSink.port, { allowSsl: true, requiresAuth: true, tlsCaPem: ca(), ...CREDENTIALS });

    const result = await sendThroughChain([first, serverRecord(next.port)], message);

    expect(result.attempts[0]).toMatchObject({ ok: false, errorCode: MailErrorCode.TLS_FAILED, responseCode: null });
    expect(result.attempts[0].message).toMatch(/certificate/i);
    expect(tlsSink.authAttempts).toEqual([]);
    expect(tlsSink.received).toEqual([]);
    expect(result.ok).toBe(true);
    expectDelivered(next);
  });

  it('AUTH refused: AUTH_FAILED with 535, then the next server receives the mail', async () => {
    const refusing = await servers.add(startSmtpSink({ tls: 'starttls', pki, credentials: CREDENTIALS }));
    const next = await servers.add(startSmtpSink({ tls: 'starttls', pki, credentials: CREDENTIALS }));
    const wrong = { username: CREDENTIALS.username, password: 'Wrong-Pa55' };
    const first = serverRecord(refusing.port, { allowTls: true, requiresAuth: true, tlsCaPem: pki.caPem, ...wrong });
    const second = serverRecord(next.port, { allowTls: true, requiresAuth: true, tlsCaPem: pki.caPem, ...CREDENTIALS });

    const result = await sendThroughChain([first, second], message);

    expect(result.attempts[0]).toMatchObject({ serverId: first.id, ok: false, errorCode: MailErrorCode.AUTH_FAILED, responseCode: 535 });
    expect(result.attempts[0].message).not.toContain(wrong.password);
    expect(refusing.authAttempts).toEqual([{ method: 'PLAIN', username: CREDENTIALS.username, accepted: false }]);
    expect(refusing.received).toEqual([]);
    expect(result).toMatchObject({ ok: true, deliveredBy: second.id });
    expect(expectDelivered(next).user).toBe(CREDENTIALS.username);
  });

  it('AUTH required but the server offers none: AUTH_FAILED, nothing sent unauthenticated, no credentials sent', async () => {
    const noAuth = await servers.add(startSmtpSink());
    const server = serverRecord(noAuth.port, { requiresAuth: true, ...CREDENTIALS });

    const result = await sendThroughChain([server], message);

    expect(result).toMatchObject({ ok: false, messageId: null, deliveredBy: null });
    expect(result.attempts).toEqual([expect.objectContaining({ ok: false, errorCode: MailErrorCode.AUTH_FAILED, responseCode: null })]);
    expect(result.attempts[0].message).toMatch(/does not offer AUTH/);
    expect(noAuth.received).toEqual([]);
    expect(noAuth.plaintextFromClients()).not.toMatch(/^(AUTH|MAIL FROM)/m);
    expectPasswordNeverInPlaintext(noAuth);
  });
});

describe('sendThroughChain: failover (R11, D11)', () => {
  it('nothing listening: CONNECTION_FAILED, next server delivers', async () => {
    const next = await servers.add(startSmtpSink());
    const first = serverRecord(await closedPort());

    const result = await sendThroughChain([first, serverRecord(next.port)], message);

    expect(result.attempts[0]).toMatchObject({ serverId: first.id, ok: false, errorCode: MailErrorCode.CONNECTION_FAILED });
    expect(result.ok).toBe(true);
    expectDelivered(next);
  });

  it('no greeting: TIMEOUT after the connection timeout, next server delivers', async () => {
    const silent = await servers.add(startSilentServer());
    const next = await servers.add(startSmtpSink());
    const first = serverRecord(silent.port, { connectionTimeoutMs: 300 });

    const result = await sendThroughChain([first, serverRecord(next.port)], message);

    expect(silent.connections()).toBe(1);
    expect(result.attempts[0]).toMatchObject({ ok: false, errorCode: MailErrorCode.TIMEOUT, responseCode: null });
    // A timer may fire a millisecond early against the wall clock; anything near 300 ms is right.
    expect(result.attempts[0].durationMs).toBeGreaterThanOrEqual(295);
    expect(result.attempts[0].durationMs).toBeLessThan(3000);
    expect(result.ok).toBe(true);
    expectDelivered(next);
  });

  it('421 on connect: CONNECTION_FAILED, next server delivers', async () => {
    const busy = await servers.add(startSmtpSink({ rejectConnect: { code: 421, message: 'Too busy, try later' } }));
    const next = await servers.add(startSmtpSink());

    const result = await sendThroughChain([serverRecord(busy.port), serverRecord(next.port)], message);

    expect(result.attempts[0]).toMatchObject({ ok: false, errorCode: MailErrorCode.CONNECTION_FAILED, responseCode: 421 });
    expect(result.attempts[0].message).toContain('Too busy');
    expect(result.ok).toBe(true);
    expectDelivered(next);
  });

  it('550 on RCPT: RECIPIENT_REJECTED and the chain stops', async () => {
    const rejecting = await servers.add(startSmtpSink({ rejectRcptTo: { code: 550, message: 'No such user here' } }));
    const next = await servers.add(startSmtpSink());

    const result = await sendThroughChain([serverRecord(rejecting.port), serverRecord(next.port)], message);

    expect(result).toMatchObject({ ok: false, messageId: null, deliveredBy: null });
    expect(result.attempts).toHaveLength(1);
    expect(result.attempts[0]).toMatchObject({ ok: false, errorCode: MailErrorCode.RECIPIENT_REJECTED, responseCode: 550 });
    expect(result.attempts[0].message).toContain('No such user here');
    expect(next.connections()).toBe(0);
    expect(next.received).toEqual([]);
  });

  it('550 on MAIL FROM: SENDER_REJECTED and the chain stops', async () => {
    const rejecting = await servers.add(startSmtpSink({ rejectMailFrom: { code: 550, message: 'Sender not allowed' } }));
    const next = await servers.add(startSmtpSink());

    const result = await sendThroughChain([serverRecord(rejecting.port), serverRecord(next.port)], message);

    expect(result.ok).toBe(false);
    expect(result.attempts).toEqual([expect.objectContaining({ errorCode: MailErrorCode.SENDER_REJECTED, responseCode: 550 })]);
    expect(next.connections()).toBe(0);
  });

  it('554 after DATA: MESSAGE_REJECTED and the chain stops', async () => {
    const rejecting = await servers.add(startSmtpSink({ rejectData: { code: 554, message: 'Message refused as spam' } }));
    const next = await servers.add(startSmtpSink());

    const result = await sendThroughChain([serverRecord(rejecting.port), serverRecord(next.port)], message);

    expect(result.ok).toBe(false);
    expect(result.attempts).toEqual([expect.objectContaining({ errorCode: MailErrorCode.MESSAGE_REJECTED, responseCode: 554 })]);
    expect(rejecting.received).toEqual([]);
    expect(next.connections()).toBe(0);
    expect(next.received).toEqual([]);
  });

  it('451 after DATA is temporary: the next server delivers', async () => {
    const deferring = await servers.add(startSmtpSink({ rejectData: { code: 451, message: 'Try again later' } }));
    const next = await servers.add(startSmtpSink());

    const result = await sendThroughChain([serverRecord(deferring.port), serverRecord(next.port)], message);

    expect(result.attempts[0]).toMatchObject({ ok: false, errorCode: MailErrorCode.MESSAGE_REJECTED, responseCode: 451 });
    expect(result.ok).toBe(true);
    expectDelivered(next);
  });

  it('no verdict after the message was sent: not resent elsewhere', async () => {
    const hanging = await servers.add(startSmtpSink({ hangAfterData: true }));
    const next = await servers.add(startSmtpSink());
    const first = serverRecord(hanging.port, { timeoutMs: 300 });

    const result = await sendThroughChain([first, serverRecord(next.port)], message);

    expect(result.ok).toBe(false);
    expect(result.attempts).toHaveLength(1);
    expect(result.attempts[0]).toMatchObject({ errorCode: MailErrorCode.TIMEOUT, responseCode: null });
    expect(result.attempts[0].message).toMatch(/may have been delivered/);
    expect(result.attempts[0].durationMs).toBeGreaterThanOrEqual(295);
    expect(next.connections()).toBe(0);
  });

  it('stops after the first server that accepts the message', async () => {
    const first = await servers.add(startSmtpSink());
    const second = await servers.add(startSmtpSink());

    const result = await sendThroughChain([serverRecord(first.port), serverRecord(second.port)], message);

    expect(result.attempts).toHaveLength(1);
    expectDelivered(first);
    expect(second.connections()).toBe(0);
  });

  it('chain of three: the first two fail, the third delivers, every attempt is reported', async () => {
    const refusing = await servers.add(startSmtpSink({ tls: 'starttls', pki, credentials: CREDENTIALS }));
    const third = await servers.add(startSmtpSink({ tls: 'implicit', pki }));
    const chain = [
      serverRecord(await closedPort()),
      serverRecord(refusing.port, { allowTls: true, requiresAuth: true, tlsCaPem: pki.caPem, username: 'library', password: 'Wrong-Pa55' }),
      serverRecord(third.port, { allowSsl: true, tlsCaPem: pki.caPem }),
    ];

    const result = await sendThroughChain(chain, message);

    expect(result).toMatchObject({ ok: true, messageId: message.messageId, deliveredBy: chain[2].id });
    expect(result.attempts.map(({ serverId, ok, errorCode }) => ({ serverId, ok, errorCode }))).toEqual([
      { serverId: chain[0].id, ok: false, errorCode: MailErrorCode.CONNECTION_FAILED },
      { serverId: chain[1].id, ok: false, errorCode: MailErrorCode.AUTH_FAILED },
      { serverId: chain[2].id, ok: true, errorCode: null },
    ]);
    for (const attempt of result.attempts) expect(attempt.durationMs).toBeGreaterThanOrEqual(0);
    expect(refusing.received).toEqual([]);
    expectDelivered(third);
  });

  it('an empty chain sends nothing', async () => {
    expect(await sendThroughChain([], message)).toEqual({ ok: false, messageId: null, deliveredBy: null, attempts: [] });
  });

  it('measures durations with the injected clock', async () => {
    const sink = await servers.add(startSmtpSink());
    let tick = 1000;
    const now = () => (tick += 7);

    const result = await sendThroughChain([serverRecord(sink.port)], message, { now });

    expect(result.attempts[0].durationMs).toBe(7);
  });

  it('refuses a From value that would inject headers, before contacting any server', async () => {
    const sink = await servers.add(startSmtpSink());

    await expect(sendThroughChain([serverRecord(sink.port)], { ...message, from: `${FROM}\r\nBcc: victim@example.net` })).rejects.toThrow(/CR or LF/);
    expect(sink.connections()).toBe(0);
  });
});
