// The classification of SMTP failures (D11) shared by the client's mailer and the gateway's own
// test mail and server checks (src/mail/transport/classify-error.ts re-exports it).

/** Stable outcome codes of one delivery or verification attempt (D11). */
export enum MailErrorCode {
  CONNECTION_FAILED = 'CONNECTION_FAILED',
  DNS_FAILED = 'DNS_FAILED',
  TIMEOUT = 'TIMEOUT',
  TLS_FAILED = 'TLS_FAILED',
  AUTH_FAILED = 'AUTH_FAILED',
  SENDER_REJECTED = 'SENDER_REJECTED',
  RECIPIENT_REJECTED = 'RECIPIENT_REJECTED',
  MESSAGE_REJECTED = 'MESSAGE_REJECTED',
  PROTOCOL_ERROR = 'PROTOCOL_ERROR',
  UNKNOWN = 'UNKNOWN',
}

export interface ClassifiedMailError {
  code: MailErrorCode;
  responseCode: number | null;
  /** RFC 3463 enhanced status code of the reply, e.g. 5.1.1. */
  enhancedStatus: string | null;
  /**
   * Single printable line, at most MAX_MESSAGE_LENGTH characters, credentials redacted (D12).
   * Text the server sent appears only for a well-formed SMTP reply outside the AUTH exchange.
   */
  message: string;
  /** true: another server would refuse the same message too, so the chain stops (D11). */
  permanent: boolean;
}

export interface Credentials {
  username: string | null;
  password: string | null;
}

/** The fields nodemailer puts on its errors; anything else thrown is treated as UNKNOWN. */
interface SmtpErrorShape {
  message?: unknown;
  code?: unknown;
  originalCode?: unknown;
  command?: unknown;
  responseCode?: unknown;
  /** The server's reply (raw bytes as nodemailer read them). */
  response?: unknown;
}

export const MAX_MESSAGE_LENGTH = 200;

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'ENODATA', 'ESERVFAIL', 'ENONAME']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ETIME']);
// Node/OpenSSL codes of a failed handshake or certificate check, e.g. SELF_SIGNED_CERT_IN_CHAIN,
// UNABLE_TO_VERIFY_LEAF_SIGNATURE, ERR_TLS_CERT_ALTNAME_INVALID, ERR_SSL_WRONG_VERSION_NUMBER.
const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_|^EPROTO$/;
const REJECTIONS = new Set([MailErrorCode.SENDER_REJECTED, MailErrorCode.RECIPIENT_REJECTED, MailErrorCode.MESSAGE_REJECTED]);

/** Fixed texts: what happened, without repeating what the peer said. */
export const NOT_SMTP_MESSAGE = 'The server did not answer as an SMTP server';
const AUTH_REFUSED_MESSAGE = 'The server refused the login';

export function classifyMailError(error: unknown, credentials?: Credentials): ClassifiedMailError {
  const shape: SmtpErrorShape = typeof error === 'object' && error !== null ? error : {};
  if (typeof shape.response === 'string') return classifyReply(shape, shape.response, credentials);
  const responseCode = typeof shape.responseCode === 'number' ? shape.responseCode : null;
  const code = codeOf(shape, responseCode);
  const rawMessage = typeof shape.message === 'string' ? shape.message : String(error);
  return {
    code,
    responseCode,
    enhancedStatus: null,
    message: safeMessage(rawMessage, credentials),
    permanent: isPermanent(code, responseCode, shape.command),
  };
}

/**
 * A failure the server answered. Bytes that are not an SMTP reply (a banner of another service)
 * are never shown; in the AUTH exchange the reply text is dropped altogether, as servers echo
 * the credentials there.
 */
function classifyReply(shape: SmtpErrorShape, response: string, credentials?: Credentials): ClassifiedMailError {
  const reply = parseSmtpReply(response);
  if (!reply) return { code: MailErrorCode.PROTOCOL_ERROR, responseCode: null, enhancedStatus: null, message: NOT_SMTP_MESSAGE, permanent: false };
  const code = codeOf(shape, reply.code);
  const status = [reply.code, reply.enhancedStatus].filter(Boolean).join(' ');
  const authStage = shape.code === 'EAUTH' || (typeof shape.command === 'string' && /^AUTH\b/i.test(shape.command));
  return {
    code,
    responseCode: reply.code,
    enhancedStatus: reply.enhancedStatus,
    message: authStage ? `${AUTH_REFUSED_MESSAGE} (${status})` : safeMessage(`${commandLabel(shape.command)}${status} ${printable(reply.text)}`, credentials),
    permanent: isPermanent(code, reply.code, shape.command),
  };
}

export interface SmtpReply {
  code: number;
  enhancedStatus: string | null;
  text: string;
}

const REPLY_LINE = /^([2-5][0-9]{2})(?:[ -](.*))?$/;
const ENHANCED_STATUS = /^([245]\.[0-9]{1,3}\.[0-9]{1,3})(?: |$)/;

/** An SMTP reply (RFC 5321 4.2, multi-line too) with its RFC 3463 status; null when it is not one. */
export function parseSmtpReply(response: string): SmtpReply | null {
  const lines = response.split(/\r?\n/).filter((line, index, all) => line !== '' || index < all.length - 1);
  const parsed = lines.map((line) => REPLY_LINE.exec(line));
  if (parsed.length === 0 || parsed.some((match) => !match || match[1] !== parsed[0]![1])) return null;
  const code = Number(parsed[0]![1]);
  const texts = parsed.map((match) => match![2] ?? '');
  const enhanced = ENHANCED_STATUS.exec(texts[0]);
  const enhancedStatus = enhanced && enhanced[1][0] === String(code)[0] ? enhanced[1] : null;
  const text = texts.map((t) => (enhancedStatus && t.startsWith(enhancedStatus) ? t.slice(enhancedStatus.length) : t).trim()).join(' ');
  return { code, enhancedStatus, text };
}

const COMMANDS = new Set(['EHLO', 'HELO', 'LHLO', 'STARTTLS', 'MAIL FROM', 'RCPT TO', 'DATA', 'RSET']);

/** Which command the reply answered, as a prefix ("RCPT TO: "); the greeting is "CONN". */
function commandLabel(command: unknown): string {
  if (command === 'CONN') return 'Greeting: ';
  return typeof command === 'string' && COMMANDS.has(command) ? `${command}: ` : '';
}

/** Printable ASCII only: control characters and other bytes become '?'. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

function codeOf(error: SmtpErrorShape, responseCode: number | null): MailErrorCode {
  // 421 means the server is shutting the session down, whatever command it answered.
  if (responseCode === 421) return MailErrorCode.CONNECTION_FAILED;
  // Authentication required / encryption required for auth (RFC 4954): a problem of this
  // server's setup, not of the sender or the message, so it must not stop the chain.
  if (responseCode === 530 || responseCode === 538) return MailErrorCode.AUTH_FAILED;
  // Bad sequence of commands: the session was in the wrong state, not a verdict on the message.
  if (responseCode === 503) return MailErrorCode.PROTOCOL_ERROR;
  const original = typeof error.originalCode === 'string' ? error.originalCode : '';
  switch (error.code) {
    case 'EDESTINATION':
      // Refused by the destination guard before any connection.
      return MailErrorCode.CONNECTION_FAILED;
    case 'EDNS':
      return MailErrorCode.DNS_FAILED;
    case 'ETIMEDOUT':
      return MailErrorCode.TIMEOUT;
    case 'ETLS':
    case 'EREQUIRETLS':
      return MailErrorCode.TLS_FAILED;
    case 'EAUTH':
    case 'ENOAUTH':
    case 'EOAUTH2':
      return MailErrorCode.AUTH_FAILED;
    case 'ECONNECTION':
    case 'ESOCKET':
      if (DNS_CODES.has(original)) return MailErrorCode.DNS_FAILED;
      if (TIMEOUT_CODES.has(original)) return MailErrorCode.TIMEOUT;
      if (TLS_CODE.test(original)) return MailErrorCode.TLS_FAILED;
      return MailErrorCode.CONNECTION_FAILED;
    case 'EENVELOPE':
      return envelopeCode(error);
    case 'EMESSAGE':
      return MailErrorCode.MESSAGE_REJECTED;
    case 'EPROTOCOL':
      // A greeting other than 220 (e.g. 554 "no service here") refuses the connection.
      return error.command === 'CONN' && responseCode !== null ? MailErrorCode.CONNECTION_FAILED : MailErrorCode.PROTOCOL_ERROR;
    default:
      return MailErrorCode.UNKNOWN;
  }
}

function envelopeCode(error: SmtpErrorShape): MailErrorCode {
  switch (error.command) {
    case 'MAIL FROM':
      return MailErrorCode.SENDER_REJECTED;
    case 'DATA':
      return MailErrorCode.MESSAGE_REJECTED;
    case 'API':
      // Refused by nodemailer before it reached the server (unusable address).
      return typeof error.message === 'string' && error.message.startsWith('Invalid sender') ? MailErrorCode.SENDER_REJECTED : MailErrorCode.RECIPIENT_REJECTED;
    default:
      return MailErrorCode.RECIPIENT_REJECTED;
  }
}

function isPermanent(code: MailErrorCode, responseCode: number | null, command: unknown): boolean {
  if (!REJECTIONS.has(code)) return false;
  if (responseCode !== null) return responseCode >= 500 && responseCode < 600;
  // Without a reply only a local refusal of the address is certain to repeat on every server;
  // e.g. a SIZE limit is this server's own and another one may take the message.
  return command === 'API';
}

function safeMessage(text: string, credentials?: Credentials): string {
  let message = text;
  for (const secret of secretForms(credentials)) message = message.split(secret).join('***');
  message = message
    .replace(/\b(AUTH\s+[\w-]+)\s+\S+/gi, '$1 ***')
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  if (message === '') message = 'Unknown error';
  return message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : message;
}

/**
 * The password as it may appear in a server echo: plain, or the AUTH PLAIN / LOGIN payloads in
 * base64 (with and without padding), base64url and hex.
 */
function secretForms(credentials?: Credentials): string[] {
  const password = credentials?.password;
  if (!password) return [];
  const user = credentials?.username ?? '';
  const payloads = [`\u0000${user}\u0000${password}`, `${user}\u0000${password}`, password].map((text) => Buffer.from(text, 'utf8'));
  const forms = payloads.flatMap((bytes) => {
    const base64 = bytes.toString('base64');
    const hex = bytes.toString('hex');
    return [base64, base64.replace(/=+$/, ''), bytes.toString('base64url'), hex, hex.toUpperCase()];
  });
  // Longest first, so that a payload is cut as a whole rather than around its password part.
  return [...new Set([...forms, password])].sort((a, b) => b.length - a.length);
}
