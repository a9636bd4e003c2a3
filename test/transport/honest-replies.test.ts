import { NOT_SMTP_MESSAGE } from '../../src/mail/transport/classify-error';
import { sendThroughChain } from '../../src/mail/transport/send-through-chain';
import { verifySmtpServer } from '../../src/mail/transport/verify-smtp-server';
import { serverRecord, startBannerServer, startSmtpSink, TestServers } from './smtp-fixtures';

/**
 * Say what happened, not what was heard: a result carries the reply code, the enhanced status and
 * a short printable text only for SMTP replies; never text from the AUTH exchange, never bytes of
 * a peer that did not greet as SMTP, and never the credentials in any encoding (D12).
 */

const servers = new TestServers();
afterAll(() => servers.closeAll());

const USERNAME = 'library';
// Chosen so that the PLAIN payload's base64 has padding and both '+' and '/' (base64url differs).
const PASSWORD = 'p>?~~';
const PLAIN = Buffer.from(`\u0000${USERNAME}\u0000${PASSWORD}`, 'utf8');
const ENCODINGS: Array<[string, string]> = [
  ['base64', PLAIN.toString('base64')],
  ['base64 without padding', PLAIN.toString('base64').replace(/=+$/, '')],
  ['base64url', PLAIN.toString('base64url')],
  ['hex', PLAIN.toString('hex')],
  ['HEX', PLAIN.toString('hex').toUpperCase()],
  ['password base64 without padding', Buffer.from(PASSWORD).toString('base64').replace(/=+$/, '')],
];
const MESSAGE = { from: 'a@d1.example', envelopeFrom: 'a@d1.example', to: 'b@d2.example', subject: 's', text: 't', messageId: '<m@d1.example>' };

describe('a peer that does not greet as SMTP (issue: banners leak)', () => {
  const BANNER = 'SSH-2.0-OpenSSH_9.6 internal-secret=Banner-Canary-7f3a\r\n';

  it.each([
    ['speaks first and waits', {}],
    ['speaks first and hangs up', { close: true }],
  ])('verifySmtpServer: PROTOCOL_ERROR with a fixed text; the banner never comes back (%s)', async (_title, options) => {
    const peer = await servers.add(startBannerServer(BANNER, options));
    const result = await verifySmtpServer(serverRecord(peer.port));

    expect(result).toMatchObject({
      ok: false,
      reachedStage: 'CONNECT',
      errorCode: 'PROTOCOL_ERROR',
      responseCode: null,
      enhancedStatus: null,
      message: NOT_SMTP_MESSAGE,
    });
    expect(JSON.stringify(result)).not.toMatch(/SSH|Canary|internal-secret/);
  });

  it('a banner without a line end, then the connection closed: PROTOCOL_ERROR, nothing of it shown', async () => {
    const peer = await servers.add(startBannerServer('HTTP/1.1 400 Bad Request internal-secret=Banner-Canary-7f3a', { close: true }));
    const result = await verifySmtpServer(serverRecord(peer.port));

    expect(result.errorCode).toBe('PROTOCOL_ERROR');
    expect(JSON.stringify(result)).not.toMatch(/HTTP|Canary/);
  });

  it('a reply that only starts like an SMTP code (2200, 220x) is not SMTP either', async () => {
    const peer = await servers.add(startBannerServer('2200 internal-secret=Banner-Canary-7f3a\r\n'));
    const result = await verifySmtpServer(serverRecord(peer.port));

    expect(result).toMatchObject({ errorCode: 'PROTOCOL_ERROR', message: NOT_SMTP_MESSAGE });
  });

  it('sendThroughChain: the attempt is PROTOCOL_ERROR with the fixed text', async () => {
    const peer = await servers.add(startBannerServer(BANNER));
    const result = await sendThroughChain([serverRecord(peer.port)], MESSAGE);

    expect(result.attempts[0]).toMatchObject({ errorCode: 'PROTOCOL_ERROR', responseCode: null, message: NOT_SMTP_MESSAGE });
  });
});

describe('AUTH replies: the code and enhanced status, never the text (issue: redaction misses encodings)', () => {
  it('the encodings under test are all different', () => {
    expect(new Set(ENCODINGS.map(([, text]) => text)).size).toBe(ENCODINGS.length);
  });

  it.each(ENCODINGS)('a server echoing the AUTH PLAIN payload as %s in its 535: the text is dropped', async (_name, echoed) => {
    const sink = await servers.add(
      startSmtpSink({ credentials: { username: USERNAME, password: PASSWORD }, rejectAuth: { code: 535, message: `5.7.8 rejected token ${echoed}` } }),
    );
    const result = await verifySmtpServer(serverRecord(sink.port, { requiresAuth: true, username: USERNAME, password: PASSWORD }));

    expect(result).toMatchObject({
      ok: false,
      errorCode: 'AUTH_FAILED',
      responseCode: 535,
      enhancedStatus: '5.7.8',
      message: 'The server refused the login (535 5.7.8)',
    });
    expect(JSON.stringify(result)).not.toContain(echoed);
  });
});

describe('other replies: printable text with the credentials redacted in every encoding (D12)', () => {
  it.each(ENCODINGS)('a server echoing the payload as %s when refusing MAIL FROM: redacted, code and status kept', async (_name, echoed) => {
    const sink = await servers.add(
      startSmtpSink({
        credentials: { username: USERNAME, password: PASSWORD },
        rejectMailFrom: { code: 550, message: `5.7.1 rejected token ${echoed} for sender` },
      }),
    );
    const result = await sendThroughChain([serverRecord(sink.port, { requiresAuth: true, username: USERNAME, password: PASSWORD })], MESSAGE);

    expect(result.attempts[0]).toMatchObject({ errorCode: 'SENDER_REJECTED', responseCode: 550, enhancedStatus: '5.7.1' });
    expect(result.attempts[0].message).toBe('MAIL FROM: 550 5.7.1 rejected token *** for sender');
  });

  it('RCPT 550 5.1.1: RECIPIENT_REJECTED with the enhanced status apart and the text after it', async () => {
    const sink = await servers.add(startSmtpSink({ rejectRcptTo: { code: 550, message: '5.1.1 No such user here' } }));
    const result = await sendThroughChain([serverRecord(sink.port)], MESSAGE);

    expect(result.attempts[0]).toMatchObject({
      errorCode: 'RECIPIENT_REJECTED',
      responseCode: 550,
      enhancedStatus: '5.1.1',
      message: 'RCPT TO: 550 5.1.1 No such user here',
    });
  });

  it('a reply without an enhanced status: enhancedStatus null; bytes outside printable ASCII become "?"', async () => {
    const sink = await servers.add(startSmtpSink({ rejectRcptTo: { code: 450, message: 'Mailbox busy \u00e9\u0007 try later' } }));
    const result = await sendThroughChain([serverRecord(sink.port)], MESSAGE);

    expect(result.attempts[0]).toMatchObject({ responseCode: 450, enhancedStatus: null });
    expect(result.attempts[0].message).toMatch(/^RCPT TO: 450 Mailbox busy \?+ try later$/);
  });
});
