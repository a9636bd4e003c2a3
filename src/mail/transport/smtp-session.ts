import { Readable } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { parseSmtpReply } from './classify-error';
import { resolveDestination, systemLookup, tlsServerName, type HostLookup } from './resolve-destination';
import { toSmtpTransportOptions, type TransportServer } from './smtp-transport';

/** Stages of a session in order; TLS and AUTH are skipped when they do not apply. */
export type SessionStage = 'CONNECT' | 'GREETING' | 'TLS' | 'AUTH' | 'DONE';

/** Opening the session failed; `stage` is the last stage that completed (CONNECT at the least). */
export class SessionOpenError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly stage: SessionStage,
  ) {
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

const COMMANDS_AFTER_GREETING = new Set(['EHLO', 'HELO', 'LHLO', 'STARTTLS']);
const MAX_QUIT_WAIT_MS = 1000;

/** One SMTP connection to one server: connect, greeting, TLS, AUTH; then send and quit. */
export class SmtpSession {
  private constructor(
    private readonly connection: SMTPConnection,
    private readonly server: TransportServer,
  ) {}

  static async open(server: TransportServer, lookup: HostLookup = systemLookup): Promise<SmtpSession> {
    let address: string;
    try {
      address = await resolveDestination(server.host, lookup);
    } catch (error) {
      throw new SessionOpenError(error, 'CONNECT');
    }
    // The checked address is connected to; the name stays what TLS verifies and sends as SNI.
    const servername = tlsServerName(server.host);
    const connection = new SMTPConnection({ ...toSmtpTransportOptions(server), host: address, ...(servername ? { servername } : {}) });
    // Errors are also delivered to the pending operation; this only keeps a late one (e.g.
    // while quitting) from becoming an uncaught 'error' event.
    connection.on('error', () => undefined);
    try {
      await run<void>(connection, (done) => connection.connect(done));
    } catch (error) {
      connection.close();
      throw new SessionOpenError(notSmtpPeer(connection) ?? error, stageBeforeConnectFailure(error, connection));
    }
    if (server.requiresAuth) {
      try {
        await authenticate(connection, server);
      } catch (error) {
        connection.close();
        throw new SessionOpenError(error, connection.secure ? 'TLS' : 'GREETING');
      }
    }
    return new SmtpSession(connection, server);
  }

  async send(envelope: { from: string; to: string[] }, raw: Buffer): Promise<string> {
    let bodySent = false;
    // nodemailer only pipes the message after the server accepted DATA, so the first read
    // marks the point after which a silent failure may still mean the message was queued.
    const body = new Readable({
      read() {
        bodySent = true;
        this.push(raw);
        this.push(null);
      },
    });
    try {
      const info = await run<SMTPConnection.SentMessageInfo>(this.connection, (done) => this.connection.send({ ...envelope, size: raw.length }, body, done));
      return info.response;
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
        Math.min(MAX_QUIT_WAIT_MS, this.server.timeoutMs),
      );
      connection.once('end', () => {
        clearTimeout(timer);
        resolve();
      });
      connection.quit();
    });
  }
}

async function authenticate(connection: SMTPConnection, server: TransportServer): Promise<void> {
  if (!server.username || !server.password) {
    throw authError('No username or password configured; credentials were not sent');
  }
  // Stricter than nodemailer's forceAuth, which would still send the credentials.
  if (!connection.allowsAuth) throw authError('Server does not offer AUTH; credentials were not sent');
  await run<boolean | undefined>(connection, (done) => connection.login({ credentials: { user: server.username!, pass: server.password! } }, done));
}

/**
 * nodemailer takes any line starting with 220 as a greeting and reports a peer that hangs up
 * after an unterminated banner as a closed connection; what the peer last said tells the truth:
 * bytes that are no SMTP reply make the failure a protocol error (whose text is never shown).
 */
function notSmtpPeer(connection: SMTPConnection): Error | null {
  const last = connection.lastServerResponse;
  if (typeof last !== 'string' || last === '' || parseSmtpReply(last)) return null;
  return Object.assign(new Error('Not an SMTP reply'), { code: 'EPROTOCOL', command: 'CONN', response: last });
}

function authError(message: string): Error {
  return Object.assign(new Error(message), { code: 'EAUTH', command: 'API' });
}

/**
 * nodemailer does not report how far a failed connect() got, so it is read off the error: a
 * failing command after the greeting, or a positive last reply (220 greeting, 220 to STARTTLS,
 * 250 to EHLO), means the greeting was received.
 */
function stageBeforeConnectFailure(error: unknown, connection: SMTPConnection): SessionStage {
  const command = (error as { command?: unknown } | null)?.command;
  if (typeof command === 'string' && COMMANDS_AFTER_GREETING.has(command)) return 'GREETING';
  const last = connection.lastServerResponse;
  return typeof last === 'string' && /^2\d\d/.test(last) ? 'GREETING' : 'CONNECT';
}

/**
 * Runs one callback-style connection operation. nodemailer reports some failures only as an
 * 'error' event and a dropped connection only as 'end', so both settle the promise too.
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
