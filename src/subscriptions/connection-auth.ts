import { can, Capability } from '../auth/access';
import { Identity, InvalidTokenError } from '../auth/identity';
import { CachedVerifier } from '../http/token-cache';
import { CloseCode } from './close-codes';

export type ConnectionAuth = { identity: Identity; expiresAt: number } | { refused: CloseCode; reason: string };

/**
 * Checks `connectionParams.authorization` at connection_init with the verification HTTP uses:
 * 4401 when the token is missing, malformed, invalid or already expired, 4403 when its roles may
 * not read any effective configuration (the only thing one can subscribe to). Errors other than
 * a refused token (a JWKS that cannot be fetched) are thrown.
 */
export async function authenticateConnection(params: unknown, verify: CachedVerifier, now = Date.now()): Promise<ConnectionAuth> {
  const authorization = typeof params === 'object' && params !== null ? (params as Record<string, unknown>).authorization : undefined;
  if (typeof authorization !== 'string' || authorization === '') {
    return { refused: CloseCode.UNAUTHORIZED, reason: 'A bearer token is required in connectionParams.authorization' };
  }
  const match = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!match) return { refused: CloseCode.UNAUTHORIZED, reason: 'connectionParams.authorization must be "Bearer <token>"' };
  let verified: { identity: Identity; expiresAt: number };
  try {
    verified = await verify(match[1]);
  } catch (error) {
    if (error instanceof InvalidTokenError) return { refused: CloseCode.UNAUTHORIZED, reason: error.message };
    throw error;
  }
  // HTTP accepts a token up to a minute past exp (clock skew); a connection would end at once.
  if (verified.expiresAt <= now) return { refused: CloseCode.UNAUTHORIZED, reason: 'The bearer token has expired' };
  if (!can(verified.identity, Capability.READ_EFFECTIVE)) {
    return { refused: CloseCode.FORBIDDEN, reason: 'Your roles do not allow subscriptions (read effective)' };
  }
  return verified;
}

/** setTimeout's longest delay; a token valid for longer is re-armed on the way. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Calls `expired` at `expiresAt`; returns the function that cancels it. */
export function atExpiry(expiresAt: number, expired: () => void): () => void {
  let timer: NodeJS.Timeout | null = null;
  const arm = () => {
    const left = expiresAt - Date.now();
    if (left <= 0) {
      timer = null;
      expired();
      return;
    }
    timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
    timer.unref();
  };
  arm();
  return () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
}
