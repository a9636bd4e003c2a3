import { classifyMailError, MailErrorCode } from './classify-error';
import { composeMessage, type ComposedMessage, type OutgoingMessage } from './compose-message';
import { SessionOpenError, SessionSendError, SmtpSession } from './smtp-session';
import type { HostLookup } from './resolve-destination';
import type { TransportServer } from './smtp-transport';

export interface SendAttempt {
  serverId: number;
  ok: boolean;
  errorCode: MailErrorCode | null;
  responseCode: number | null;
  /** RFC 3463 status of the reply, e.g. 5.1.1. */
  enhancedStatus: string | null;
  message: string | null;
  durationMs: number;
}

export interface ChainSendResult {
  ok: boolean;
  /** Message-ID of the delivered message, null when no server accepted it. */
  messageId: string | null;
  deliveredBy: number | null;
  attempts: SendAttempt[];
}

/** A reason not to connect to a server at all (e.g. its password cannot be decrypted). */
export interface Refusal {
  code: MailErrorCode;
  message: string;
}

export interface ChainSendOptions {
  now?: () => number;
  precheck?: (server: TransportServer) => Promise<Refusal | null>;
  /** How host names are resolved (each once per attempt, then the checked address is used). */
  lookup?: HostLookup;
}

interface AttemptOutcome extends Omit<SendAttempt, 'serverId' | 'durationMs'> {
  stopChain: boolean;
}

/**
 * Sends through the servers in order (R11, D11): moves on after connection, DNS, TLS, timeout,
 * authentication and temporary failures; stops after a permanent rejection or delivery.
 */
export async function sendThroughChain(
  servers: TransportServer[],
  message: OutgoingMessage | ((server: TransportServer) => OutgoingMessage),
  options: ChainSendOptions = {},
): Promise<ChainSendResult> {
  const now = options.now ?? Date.now;
  // One composition for a fixed message; a per-server message (same Message-ID) is composed per attempt.
  const fixed = typeof message === 'function' ? null : await composeMessage(message);
  const attempts: SendAttempt[] = [];
  for (const server of servers) {
    const started = now();
    const refusal = options.precheck ? await options.precheck(server) : null;
    if (refusal) {
      attempts.push({
        serverId: server.id,
        ok: false,
        errorCode: refusal.code,
        responseCode: null,
        enhancedStatus: null,
        message: refusal.message,
        durationMs: Math.max(0, now() - started),
      });
      continue;
    }
    const composed = fixed ?? (await composeMessage((message as (server: TransportServer) => OutgoingMessage)(server)));
    const { stopChain, ...outcome } = await attempt(server, composed, options.lookup);
    attempts.push({ serverId: server.id, ...outcome, durationMs: Math.max(0, now() - started) });
    if (outcome.ok) return { ok: true, messageId: composed.messageId, deliveredBy: server.id, attempts };
    if (stopChain) break;
  }
  return { ok: false, messageId: null, deliveredBy: null, attempts };
}

async function attempt(server: TransportServer, composed: ComposedMessage, lookup?: HostLookup): Promise<AttemptOutcome> {
  let session: SmtpSession;
  try {
    session = await SmtpSession.open(server, lookup);
  } catch (error) {
    return failure(server, error instanceof SessionOpenError ? error.cause : error, false);
  }
  try {
    await session.send(composed.envelope, composed.raw);
  } catch (error) {
    if (!(error instanceof SessionSendError)) return failure(server, error, false);
    return failure(server, error.cause, error.bodySent);
  }
  await session.quit();
  return { ok: true, errorCode: null, responseCode: null, enhancedStatus: null, message: null, stopChain: false };
}

function failure(server: TransportServer, error: unknown, bodySent: boolean): AttemptOutcome {
  const classified = classifyMailError(error, server);
  // The server took the message but gave no verdict: it may have queued it, and a copy through
  // the next server could deliver the message twice.
  const outcomeUnknown = bodySent && classified.responseCode === null;
  return {
    ok: false,
    errorCode: classified.code,
    responseCode: classified.responseCode,
    enhancedStatus: classified.enhancedStatus,
    message: outcomeUnknown ? `${classified.message} (message may have been delivered; not retried)` : classified.message,
    stopChain: classified.permanent || outcomeUnknown,
  };
}
