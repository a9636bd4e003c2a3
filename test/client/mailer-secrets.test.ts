import { inspect } from 'node:util';
import { MailDeliveryError, type Mailer } from 'mail-config-gateway-client';
import { SMTPServer } from 'smtp-server';
import { startAuthSink } from '../security/helpers';
import { describeEachDatabase } from '../support/gateway';
import { HOST } from '../transport/smtp-fixtures';
import { clientFor, libraryWithChain } from './client-fixtures';

/**
 * The mailer's errors against SMTP servers that echo the credentials: in the refused login, and
 * after a login, in the rejection of the sender (plain and as the AUTH PLAIN payload). The password
 * the gateway gave (`transport.auth.pass`) must be in no message, attempt, or inspected error.
 */
const USERNAME = 'notice-sender';
const PASSWORD = 'Echoed-Pa55-c4n4ry-5e1f';

/** Accepts any login, then refuses MAIL FROM with a reply that repeats the credentials it got. */
async function startEchoingRejecter(): Promise<{ port: number; close(): Promise<void> }> {
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    closeTimeout: 200,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, session, callback) {
      (session as unknown as { secret: string }).secret = `${auth.username}:${auth.password}`;
      callback(null, { user: auth.username });
    },
    onMailFrom(_address, session, callback) {
      const secret = (session as unknown as { secret: string }).secret;
      const plain = Buffer.from(`\u0000${USERNAME}\u0000${PASSWORD}`).toString('base64');
      callback(
        Object.assign(new Error(`5.7.1 sender refused for ${secret} AUTH PLAIN ${plain} ${Buffer.from(PASSWORD).toString('hex')}`), { responseCode: 550 }),
      );
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.server.address() as { port: number };
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describeEachDatabase('client mailer: servers that echo the credentials', (gw) => {
  const mailers: Mailer[] = [];
  const closers: Array<() => Promise<void>> = [];

  afterEach(async () => {
    await Promise.all(mailers.splice(0).map((m) => m.close()));
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  it('a refused login echoing them, then a sender rejection echoing them: the password is nowhere in the error', async () => {
    const echoLogin = await startAuthSink(USERNAME, 'another-password', { echo: true });
    const rejecter = await startEchoingRejecter();
    closers.push(
      () => echoLogin.close(),
      () => rejecter.close(),
    );
    const { library } = await libraryWithChain(gw(), [
      { port: echoLogin.port, requiresAuth: true, username: USERNAME, password: PASSWORD },
      { port: rejecter.port, requiresAuth: true, username: USERNAME, password: PASSWORD },
    ]);
    const mailer = clientFor(gw(), gw().tokens.credentials).client.createMailer({ libraryId: library.id, follow: false });
    mailers.push(mailer);
    const error = await mailer.sendMail({ to: 'reader@example.net', subject: 'Notice', text: 'Hello' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MailDeliveryError);
    const failed = error as MailDeliveryError;
    expect(failed.reason).toBe('REJECTED');
    expect(failed.attempts.map((a) => [a.errorCode, a.responseCode])).toEqual([
      ['AUTH_FAILED', 535],
      ['SENDER_REJECTED', 550],
    ]);
    // The servers really echoed them: the login sink saw the password.
    expect(echoLogin.logins[0].password).toBe(PASSWORD);
    const everything = [failed.message, JSON.stringify(failed.attempts), inspect(failed, { depth: 10 })].join('\n');
    for (const form of [
      PASSWORD,
      Buffer.from(PASSWORD).toString('base64'),
      Buffer.from(`\u0000${USERNAME}\u0000${PASSWORD}`).toString('base64'),
      Buffer.from(PASSWORD).toString('hex'),
    ]) {
      expect(everything).not.toContain(form);
    }
  });
});
