import { Readable } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { parseSmtpReply } from './classify-error';
import type { SmtpTransportSettings } from './mailer.types';

/** Opening the session (connect, greeting, TLS, login) failed. */
export class SessionOpenError extends Error {
  constructor(override readonly cause: unknown) {
    super('SMTP session could not be opened');
  }
}

/** Sending failed; `bodySent` tells that the server had accepted DATA and got (part of) the message. */
export class SessionSendError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly bodySent: boolean,
  ) {
    super('SMTP send failed');
  }
}

const MAX_QUIT_WAIT_MS = 1000;

/**
 * The gateway's settings as nodemailer connection options (D9). Certificate checks are pinned on;
 * `tlsCaPem` replaces the system roots for this server only. A server with neither SSL nor TLS
 * still gets STARTTLS when it offers it.
 */
export function connectionOptions(transport: SmtpTransportSettings): SMTPConnection.Options {
  return {
    host: transport.host,
    port: transport.port,
    secure: transport.secure,
    requireTLS: transport.requireTLS,
    ignoreTLS: transport.ignoreTLS,
    opportunisticTLS: !transport.secure && !transport.requireTLS && !transport.ignoreTLS,
    connectionTimeout: transport.connectionTimeout,
    greetingTimeout: transport.greetingTimeout,
    socketTimeout: transport.socketTimeout,
    tls: { rejectUnauthorized: true, ...(transport.tlsCaPem ? { ca: transport.tlsCaPem } : {}) },
    // The transcript would carry the AUTH exchange.
    logger: false,
    debug: false,
  };
}

/** One SMTP connection to one server: connect, greeting, TLS, AUTH; then send and quit. */
export class SmtpSession {
  private constructor(
    private readonly connection: SMTPConnection,
    private readonly socketTimeout: number,
  ) {}

  static async open(transport: SmtpTransportSettings): Promise<SmtpSession> {
    const connection = new SMTPConnection(connectionOptions(transport));
    // Errors also reach the pending operation; this keeps a late one (e.g. while quitting) from
    // becoming an uncaught 'error' event.
    connection.on('error', () => undefined);
    try {
      await run<void>(connection, (done) => connection.connect(done));
      if (transport.auth) await authenticate(connection, transport.auth);
    } catch (error) {
      connection.close();
      throw new SessionOpenError(notSmtpPeer(connection) ?? error);
    }
    return new SmtpSession(connection, transport.socketTimeout);
  }

  async send(envelope: { from: string; to: string[] }, raw: Buffer): Promise<void> {
    let bodySent = false;
    // nodemailer pipes the message only after the server accepted DATA, so the first read marks
    // the point after which a silent failure may still mean the message was queued.
    const body = new Readable({
      read() {
        bodySent = true;
        this.push(raw);
        this.push(null);
      },
    });
    try {
      await run<SMTPConnection.SentMessageInfo>(this.connection, (done) => this.connection.send({ ...envelope, size: raw.length }, body, done));
    } catch (error) {
      this.connection.close();
      throw new SessionSendError(error, bodySent);
    }
  }

  quit(): Promise<void> {
    const connection = this.connection;
    if (connection.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          connection.close();
          resolve();
        },
        Math.min(MAX_QUIT_WAIT_MS, this.socketTimeout),
      );
      connection.once('end', () => {
        clearTimeout(timer);
        resolve();
      });
      connection.quit();
    });
  }
}

async function authenticate(connection: SMTPConnection, auth: { user: string; pass: string }): Promise<void> {
  // Stricter than nodemailer's forceAuth, which would still send the credentials: a server that
  // does not offer AUTH never sees them, and the mail is never sent without the login.
  if (!connection.allowsAuth) throw Object.assign(new Error('Server does not offer AUTH; credentials were not sent'), { code: 'EAUTH', command: 'API' });
  await run<boolean | undefined>(connection, (done) => connection.login({ credentials: { user: auth.user, pass: auth.pass } }, done));
}

/**
 * nodemailer takes any line starting with 220 as a greeting and reports a peer that hangs up
 * after an unterminated banner as a closed connection; bytes that are no SMTP reply make the
 * failure a protocol error (whose text is never shown).
 */
function notSmtpPeer(connection: SMTPConnection): Error | null {
  const last = connection.lastServerResponse;
  if (typeof last !== 'string' || last === '' || parseSmtpReply(last)) return null;
  return Object.assign(new Error('Not an SMTP reply'), { code: 'EPROTOCOL', command: 'CONN', response: last });
}

/**
 * One callback-style connection operation as a promise. nodemailer reports some failures only as
 * an 'error' event and a dropped connection only as 'end', so both settle it too.
 */
function run<T>(connection: SMTPConnection, start: (done: (error?: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cleanup = () => {
      connection.removeListener('error', onError);
      connection.removeListener('end', onEnd);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onEnd = () => {
      cleanup();
      reject(Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION', command: 'CONN' }));
    };
    connection.once('error', onError);
    connection.once('end', onEnd);
    start((error, value) => {
      cleanup();
      if (error) reject(error);
      else resolve(value as T);
    });
  });
}
