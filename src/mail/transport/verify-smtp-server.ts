import { classifyMailError, type MailErrorCode } from './classify-error';
import { SessionOpenError, SmtpSession, type SessionStage } from './smtp-session';
import type { HostLookup } from './resolve-destination';
import type { Refusal } from './send-through-chain';
import type { TransportServer } from './smtp-transport';

export interface VerifyResult {
  ok: boolean;
  // The last stage completed successfully (TLS/AUTH are skipped when not used); CONNECT also
  // when not even the connection succeeded, errorCode then says why.
  reachedStage: SessionStage;
  errorCode: MailErrorCode | null;
  responseCode: number | null;
  enhancedStatus: string | null;
  message: string | null;
  durationMs: number;
}

/** Connects, greets, secures and authenticates exactly as sending would, then quits without sending. */
export async function verifySmtpServer(
  server: TransportServer,
  options: { now?: () => number; precheck?: (server: TransportServer) => Promise<Refusal | null>; lookup?: HostLookup } = {},
): Promise<VerifyResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const elapsed = () => Math.max(0, now() - started);
  const refusal = options.precheck ? await options.precheck(server) : null;
  if (refusal)
    return {
      ok: false,
      reachedStage: 'CONNECT',
      errorCode: refusal.code,
      responseCode: null,
      enhancedStatus: null,
      message: refusal.message,
      durationMs: elapsed(),
    };
  let session: SmtpSession;
  try {
    session = await SmtpSession.open(server, options.lookup);
  } catch (error) {
    const cause = error instanceof SessionOpenError ? error.cause : error;
    const classified = classifyMailError(cause, server);
    return {
      ok: false,
      reachedStage: error instanceof SessionOpenError ? error.stage : 'CONNECT',
      errorCode: classified.code,
      responseCode: classified.responseCode,
      enhancedStatus: classified.enhancedStatus,
      message: classified.message,
      durationMs: elapsed(),
    };
  }
  await session.quit();
  return { ok: true, reachedStage: 'DONE', errorCode: null, responseCode: null, enhancedStatus: null, message: null, durationMs: elapsed() };
}
