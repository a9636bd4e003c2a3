import { GatewayError } from './errors';

/**
 * Keeps the bearer token a long-running service uses. Tokens expire and mailers run for days, so
 * the token comes from a provider and is fetched again shortly before its `exp`, after a 401 and
 * on every reconnect of a subscription.
 */
export class TokenSource {
  private token: string | null = null;
  private expiresAt: number | null = null;
  private pending: Promise<string> | null = null;

  constructor(
    private readonly provider: () => Promise<string>,
    /** How long before `exp` a token is no longer used. */
    private readonly refreshMarginMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The kept token while it is not near its expiry, otherwise a fresh one. */
  current(): Promise<string> {
    if (this.token !== null && (this.expiresAt === null || this.expiresAt - this.now() > this.refreshMarginMs)) return Promise.resolve(this.token);
    return this.refresh();
  }

  /** Asks the provider again; callers at the same moment share one call. */
  refresh(): Promise<string> {
    this.pending ??= this.fetch().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async fetch(): Promise<string> {
    let token: unknown;
    try {
      token = await this.provider();
    } catch (error) {
      throw GatewayError.local('TOKEN_UNAVAILABLE', 'getToken() failed', { cause: error });
    }
    if (typeof token !== 'string' || token.trim() === '') throw GatewayError.local('TOKEN_UNAVAILABLE', 'getToken() gave no token');
    this.token = token.trim();
    this.expiresAt = tokenExpiry(this.token);
    return this.token;
  }
}

/**
 * The `exp` of a JWT in milliseconds, read without verifying the signature (the gateway verifies;
 * this only decides when to fetch the next one). null when the token has no readable `exp`.
 */
export function tokenExpiry(jwt: string): number | null {
  const payload = jwt.split('.')[1];
  if (!payload) return null;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const exp = typeof claims === 'object' && claims !== null ? (claims as { exp?: unknown }).exp : undefined;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null;
  } catch {
    return null;
  }
}
