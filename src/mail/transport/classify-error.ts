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
  /** Single line, at most MAX_MESSAGE_LENGTH characters, credentials redacted (D12). */
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
}

export const MAX_MESSAGE_LENGTH = 200;

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'ENODATA', 'ESERVFAIL', 'ENONAME']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ETIME']);
// Node/OpenSSL codes of a failed handshake or certificate check, e.g. SELF_SIGNED_CERT_IN_CHAIN,
// UNABLE_TO_VERIFY_LEAF_SIGNATURE, ERR_TLS_CERT_ALTNAME_INVALID, ERR_SSL_WRONG_VERSION_NUMBER.
const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_|^EPROTO$/;
const REJECTIONS = new Set([
  MailErrorCode.SENDER_REJECTED,
  MailErrorCode.RECIPIENT_REJECTED,
  MailErrorCode.MESSAGE_REJECTED,
]);

export function classifyMailError(error: unknown, credentials?: Credentials): ClassifiedMailError {
  const shape: SmtpErrorShape = typeof error === 'object' && error !== null ? error : {};
  const responseCode = typeof shape.responseCode === 'number' ? shape.responseCode : null;
  const code = codeOf(shape, responseCode);
  const rawMessage = typeof shape.message === 'string' ? shape.message : String(error);
  return {
    code,
    responseCode,
    message: safeMessage(rawMessage, credentials),
    permanent: isPermanent(code, responseCode, shape.command),
  };
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
      return error.command === 'CONN' && responseCode !== null
        ? MailErrorCode.CONNECTION_FAILED
        : MailErrorCode.PROTOCOL_ERROR;
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
      return typeof error.message === 'string' && error.message.startsWith('Invalid sender')
        ? MailErrorCode.SENDER_REJECTED
        : MailErrorCode.RECIPIENT_REJECTED;
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

/** The password as it may appear in a server echo: plain, or base64 as AUTH LOGIN / PLAIN send it. */
function secretForms(credentials?: Credentials): string[] {
  const password = credentials?.password;
  if (!password) return [];
  const user = credentials?.username ?? '';
  const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  return [base64(`\u0000${user}\u0000${password}`), base64(`${user}\u0000${password}`), base64(password), password];
}
