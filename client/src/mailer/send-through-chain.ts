import { MailDeliveryError } from '../errors';
import { classifyMailError, MailErrorCode } from './classify-error';
import type { ComposedMessage } from './compose-message';
import type { DeliveryAttempt, MailerServer } from './mailer.types';
import { SessionOpenError, SessionSendError, SmtpSession } from './smtp-session';

interface AttemptOutcome {
  ok: boolean;
  errorCode: MailErrorCode | null;
  responseCode: number | null;
  enhancedStatus: string | null;
  message: string | null;
  /** No further server may be tried: a permanent rejection, or DATA accepted without a verdict. */
  stop: 'REJECTED' | 'OUTCOME_UNKNOWN' | null;
}

/**
 * Sends through the servers in order (R11, D11), as the gateway's test mail does: moves on after
 * connection, DNS, TLS, timeout, authentication and temporary (4xx) failures; stops after a
 * permanent (5xx) rejection of the sender, a recipient or the message, and never sends again a
 * message whose DATA a server accepted. Resolves with every attempt when one server delivered;
 * otherwise throws MailDeliveryError with every attempt.
 */
export async function sendThroughChain(
  servers: readonly MailerServer[],
  composed: ComposedMessage,
): Promise<{ deliveredBy: MailerServer; attempts: DeliveryAttempt[] }> {
  const attempts: DeliveryAttempt[] = [];
  for (const server of servers) {
    const startedAt = new Date();
    const { stop, ...outcome } = server.transport ? await attempt(server.transport, composed) : unavailable(server);
    attempts.push({
      server: { id: server.id, name: server.name, host: server.host, port: server.port },
      ...outcome,
      startedAt,
      durationMs: Math.max(0, Date.now() - startedAt.getTime()),
    });
    if (outcome.ok) return { deliveredBy: server, attempts };
    if (stop) throw new MailDeliveryError(stop, attempts);
  }
  throw new MailDeliveryError('ALL_FAILED', attempts);
}

async function attempt(transport: NonNullable<MailerServer['transport']>, composed: ComposedMessage): Promise<AttemptOutcome> {
  const credentials = { username: transport.auth?.user ?? null, password: transport.auth?.pass ?? null };
  let session: SmtpSession;
  try {
    session = await SmtpSession.open(transport);
  } catch (error) {
    return failure(error instanceof SessionOpenError ? error.cause : error, false, credentials);
  }
  try {
    await session.send(composed.envelope, composed.raw);
  } catch (error) {
    if (!(error instanceof SessionSendError)) return failure(error, false, credentials);
    return failure(error.cause, error.bodySent, credentials);
  }
  await session.quit();
  return { ok: true, errorCode: null, responseCode: null, enhancedStatus: null, message: null, stop: null };
}

function failure(error: unknown, bodySent: boolean, credentials: { username: string | null; password: string | null }): AttemptOutcome {
  const classified = classifyMailError(error, credentials);
  // The server took the message but gave no verdict: it may have queued it, and a copy through
  // the next server could deliver the message twice.
  const outcomeUnknown = bodySent && classified.responseCode === null;
  return {
    ok: false,
    errorCode: classified.code,
    responseCode: classified.responseCode,
    enhancedStatus: classified.enhancedStatus,
    message: outcomeUnknown ? `${classified.message} (message may have been delivered; not retried)` : classified.message,
    stop: outcomeUnknown ? 'OUTCOME_UNKNOWN' : classified.permanent ? 'REJECTED' : null,
  };
}

/** The gateway gave no settings for this server (it said why); like the gateway, the chain moves on. */
function unavailable(server: MailerServer): AttemptOutcome {
  return {
    ok: false,
    errorCode: MailErrorCode.AUTH_FAILED,
    responseCode: null,
    enhancedStatus: null,
    message: server.unavailable ?? 'The gateway gave no transport settings for this server',
    stop: null,
  };
}
