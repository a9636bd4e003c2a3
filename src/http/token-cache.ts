import { IncomingMessage } from 'node:http';
import { Identity } from '../auth/identity';
import { InvalidTokenError } from '../auth/identity';
import { TokenVerifier } from '../auth/token-verifier';
import { ErrorCode } from '../common/errors';
import { HttpError } from './http-error';

const MAX_ENTRIES = 10_000;
/** A revoked signing key or a changed role takes effect within this long. */
const MAX_AGE_MS = 60_000;

/** A verified token: who it names and when it expires (epoch milliseconds). */
export interface VerifiedToken {
  identity: Identity;
  expiresAt: number;
}

/** Verifies a bearer token (remembered while valid); throws InvalidTokenError with a safe message. */
export type CachedVerifier = (token: string) => Promise<VerifiedToken>;

/** The bearer token of the request, null when there is no Authorization header, 401 when it is malformed. */
export function bearerToken(request: IncomingMessage): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new HttpError(401, ErrorCode.UNAUTHENTICATED, 'The Authorization header must be "Bearer <token>"');
  return match[1];
}

/**
 * Verifying a signature on every request costs more than answering a cached query; a verified
 * token is remembered until it expires, and at most a minute. HTTP and WebSocket connections
 * share one cache, so both accept exactly the same tokens.
 */
export function createTokenCache(verify: TokenVerifier): CachedVerifier {
  const verified = new Map<string, VerifiedToken & { until: number }>();
  return async (token) => {
    const known = verified.get(token);
    if (known && known.until > Date.now()) return known;
    const fresh = await verify(token);
    if (verified.size >= MAX_ENTRIES) verified.delete(verified.keys().next().value as string);
    const entry = { ...fresh, until: Math.min(fresh.expiresAt ?? Infinity, Date.now() + MAX_AGE_MS) };
    verified.set(token, entry);
    return entry;
  };
}

/** The identity of a token for an HTTP request; a refused token is a 401 naming what is wrong. */
export function httpIdentity(verify: CachedVerifier): (token: string) => Promise<Identity> {
  return async (token) => {
    try {
      return (await verify(token)).identity;
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new HttpError(401, ErrorCode.UNAUTHENTICATED, error.message);
      throw error;
    }
  };
}
