import MailComposer from 'nodemailer/lib/mail-composer';

export interface OutgoingMessage {
  /** Finished From header value (D6), e.g. `"Biblioteka" <kontakt@example.org>`; written as is. */
  from: string;
  /** Envelope sender (MAIL FROM). */
  envelopeFrom: string;
  to: string;
  subject: string;
  text: string;
  /** Message-ID header value including the angle brackets. */
  messageId: string;
  headers?: Record<string, string>;
}

export interface ComposedMessage {
  envelope: { from: string; to: string[] };
  raw: Buffer;
  messageId: string;
}

// Set from the message fields; a custom header of the same name must not duplicate or replace them.
const RESERVED_HEADERS = new Set(['from', 'to', 'subject', 'message-id', 'date', 'mime-version', 'content-type']);

/** Builds the message once, so that every server of the chain gets the same bytes and Message-ID. */
export async function composeMessage(message: OutgoingMessage): Promise<ComposedMessage> {
  if (/[\r\n]/.test(message.from)) throw new Error('From header value must not contain CR or LF');
  const headers = Object.fromEntries(Object.entries(message.headers ?? {}).filter(([name]) => !RESERVED_HEADERS.has(name.toLowerCase())));
  const node = new MailComposer({
    to: message.to,
    subject: message.subject,
    text: message.text,
    messageId: message.messageId,
    headers,
    envelope: { from: message.envelopeFrom, to: message.to },
    disableFileAccess: true,
    disableUrlAccess: true,
  }).compile();
  const envelope = node.getEnvelope();
  const body = await node.build();
  // nodemailer parses and re-quotes a From value, which would wrap the RFC 2047 encoded words of
  // the formatted sender in quotes (and so break them); the header is therefore added verbatim.
  const from = Buffer.from(`From: ${message.from}\r\n`, 'utf8');
  return {
    envelope: { from: envelope.from || message.envelopeFrom, to: envelope.to },
    raw: Buffer.concat([from, body]),
    messageId: node.messageId(),
  };
}
