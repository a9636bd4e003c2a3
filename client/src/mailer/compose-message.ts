import MailComposer from 'nodemailer/lib/mail-composer';
import type { MailerConfiguration, MailMessage } from './mailer.types';
import { MailConfigurationError } from '../errors';

export interface ComposedMessage {
  envelope: { from: string; to: string[] };
  raw: Buffer;
  messageId: string;
}

/**
 * Builds the message once, so that every server of the chain gets the same bytes and Message-ID.
 * The From is the effective sender (address and display name, encoded by nodemailer) unless the
 * message sets one.
 */
export async function composeMessage(message: MailMessage, config: MailerConfiguration): Promise<ComposedMessage> {
  const from = message.from ?? senderOf(config);
  const node = new MailComposer({
    from,
    to: message.to,
    cc: message.cc,
    bcc: message.bcc,
    replyTo: message.replyTo,
    subject: message.subject,
    text: message.text,
    html: message.html,
    headers: message.headers,
    attachments: message.attachments,
    ...(message.messageId ? { messageId: message.messageId } : {}),
    // A message is data: nothing in it may make the mailer read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  }).compile();
  const envelope = node.getEnvelope();
  if (!envelope.from) throw new MailConfigurationError('NO_SENDER', 'The message has no usable From address', config.problems);
  if (envelope.to.length === 0) throw new Error('The message has no recipient (to, cc or bcc)');
  return { envelope: { from: envelope.from, to: envelope.to }, raw: await node.build(), messageId: node.messageId() };
}

function senderOf(config: MailerConfiguration): { name: string; address: string } {
  if (!config.sender) {
    throw new MailConfigurationError('NO_SENDER', 'The effective configuration has no sender (NO_SENDER) and the message sets no From', config.problems);
  }
  return { name: config.sender.name ?? '', address: config.sender.address };
}
