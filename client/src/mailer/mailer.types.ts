import type { MailerConfigFieldsFragment, MailPurpose } from '../generated/graphql';
import type { MailErrorCode } from './classify-error';

type ChainServer = MailerConfigFieldsFragment['servers'][number];

/** A server's decrypted, nodemailer-ready settings as the gateway gives them (`SmtpServer.transport`). */
export type SmtpTransportSettings = NonNullable<ChainServer['transport']>;

export interface MailerServer {
  id: string;
  name: string;
  host: string;
  port: number;
  /** null when the gateway could not give the settings (e.g. a password that does not decrypt). */
  transport: SmtpTransportSettings | null;
  /** Why `transport` is null: the gateway's message for this server; the attempt fails with it. */
  unavailable: string | null;
}

/** The configuration a mailer sends with: the chain in order, the sender, and the revision. */
export interface MailerConfiguration {
  purpose: MailPurpose;
  revision: number;
  /** The gateway answered from its last known configuration (its database was unreachable). */
  stale: boolean;
  sender: MailerConfigFieldsFragment['sender'];
  problems: MailerConfigFieldsFragment['problems'];
  servers: MailerServer[];
}

export type Address = string | { name?: string; address: string };

/** What a service sends; the From is the effective sender unless `from` is set. */
export interface MailMessage {
  from?: Address;
  to: Address | Address[];
  cc?: Address | Address[];
  bcc?: Address | Address[];
  replyTo?: Address;
  subject?: string;
  text?: string;
  html?: string;
  /** Message-ID header value with its angle brackets; generated when left out. */
  messageId?: string;
  headers?: Record<string, string>;
  /** Content given inline; files and URLs are never read. */
  attachments?: Array<{ filename?: string; content: string | Buffer; contentType?: string; cid?: string }>;
}

/** One try through one server (D11). */
export interface DeliveryAttempt {
  server: { id: string; name: string; host: string; port: number };
  ok: boolean;
  errorCode: MailErrorCode | null;
  /** SMTP reply code, when the server answered. */
  responseCode: number | null;
  /** RFC 3463 status of the reply, e.g. 5.1.1. */
  enhancedStatus: string | null;
  /** One line, without credentials; null on success. */
  message: string | null;
  startedAt: Date;
  durationMs: number;
}

export interface SendResult {
  messageId: string;
  deliveredBy: DeliveryAttempt['server'];
  /** Every try, in order; the last one delivered. */
  attempts: DeliveryAttempt[];
  envelope: { from: string; to: string[] };
  /** The configuration revision the chain was taken from. */
  revision: number;
}
