import type { SMTPTransportOptions } from 'nodemailer/lib/smtp-transport';

/** What the sending core needs to know about an SMTP server record (R1), with the password decrypted. */
export interface TransportServer {
  id: number;
  name: string;
  host: string;
  port: number;
  username: string | null;
  password: string | null;
  allowTls: boolean;
  allowSsl: boolean;
  requiresAuth: boolean;
  connectionTimeoutMs: number;
  timeoutMs: number;
  tlsCaPem: string | null;
}

/** The options the mapping always sets, typed so that callers read them without checks. */
export interface SmtpOptions extends SMTPTransportOptions {
  host: string;
  port: number;
  secure: boolean;
  connectionTimeout: number;
  greetingTimeout: number;
  socketTimeout: number;
  auth?: { user: string; pass: string };
}

/**
 * Maps a server record to nodemailer SMTP options (D9): the one mapping, used by the sending core
 * and by the transport settings handed to internal services. Also usable with createTransport():
 * forceAuth makes nodemailer fail instead of silently sending unauthenticated when the server does
 * not advertise AUTH; the session in this folder is stricter still and never sends the credentials
 * to such a server.
 */
export function toSmtpTransportOptions(server: TransportServer): SmtpOptions {
  const options: SmtpOptions = {
    host: server.host,
    port: server.port,
    secure: server.allowSsl,
    // greetingTimeout is additionally capped by what is left of connectionTimeout, so together
    // they bound connect + greeting (+ STARTTLS) by the one configured value.
    connectionTimeout: server.connectionTimeoutMs,
    greetingTimeout: server.connectionTimeoutMs,
    socketTimeout: server.timeoutMs,
    // Pinned so that no default or environment can turn certificate checks off; a private CA
    // replaces the system roots for this server only.
    tls: {
      rejectUnauthorized: true,
      ...(server.tlsCaPem ? { ca: server.tlsCaPem } : {}),
    },
    // The SMTP transcript would carry the AUTH exchange (D12).
    logger: false,
    debug: false,
  };
  if (!server.allowSsl) {
    if (server.allowTls) options.requireTLS = true;
    // A plaintext-configured server still gets STARTTLS when it offers it. If the server answers
    // STARTTLS with an error the session goes on in plaintext (without AUTH); a handshake that
    // fails, e.g. on an untrusted certificate, still fails the attempt.
    else options.opportunisticTLS = true;
  }
  if (server.requiresAuth) {
    options.auth = { user: server.username ?? '', pass: server.password ?? '' };
    options.forceAuth = true;
  }
  return options;
}
