import { createRemoteJWKSet, errors, JWTPayload, jwtVerify, JWTVerifyGetKey, SignJWT } from 'jose';
import { AuthConfig } from '../config';
import { Identity, identityFromClaims, invalidClaim, InvalidTokenError } from './identity';

export type TokenVerifier = (token: string) => Promise<{ identity: Identity; expiresAt: number }>;

/** Clocks of the provider and the gateway may disagree by this much (seconds). */
export const CLOCK_SKEW_SECONDS = 60;

const CLAIM_RULES: Record<string, string> = {
  exp: 'is required, a number of seconds, and in the future',
  nbf: 'must be a number of seconds, not in the future',
  iat: 'must be a number of seconds, not in the future',
  iss: 'does not name the expected issuer',
  aud: 'does not name this gateway as audience',
};

/** What to tell the client about a refused token: the claim at fault, never its value. */
function refusal(error: unknown): InvalidTokenError {
  if (error instanceof InvalidTokenError) return error;
  if (error instanceof errors.JWTClaimValidationFailed || error instanceof errors.JWTExpired) {
    return invalidClaim(error.claim, CLAIM_RULES[error.claim] ?? 'is not valid');
  }
  return new InvalidTokenError();
}

/** jose checks `iat` against the clock only together with a maximum age, which we do not set. */
function checkIssuedAt(payload: JWTPayload): void {
  if (payload.iat !== undefined && payload.iat > Date.now() / 1000 + CLOCK_SKEW_SECONDS) throw invalidClaim('iat', CLAIM_RULES.iat);
}

/** Verifies bearer tokens with the shared HS256 secret or the provider's JWKS (RS256/ES256). */
export function createTokenVerifier(auth: AuthConfig): TokenVerifier {
  // A token without exp would be valid forever, outliving any revocation at the provider.
  const options = { issuer: auth.issuer, audience: auth.audience, requiredClaims: ['exp'], clockTolerance: CLOCK_SKEW_SECONDS };
  let verify: (token: string) => Promise<{ payload: JWTPayload }>;
  if (auth.jwksUrl) {
    const jwks: JWTVerifyGetKey = createRemoteJWKSet(new URL(auth.jwksUrl));
    verify = (token) => jwtVerify(token, jwks, { ...options, algorithms: ['RS256', 'ES256'] });
  } else if (auth.jwtSecret) {
    const key = new TextEncoder().encode(auth.jwtSecret);
    verify = (token) => jwtVerify(token, key, { ...options, algorithms: ['HS256'] });
  } else {
    throw new Error('No token verification configured');
  }
  return async (token) => {
    try {
      const { payload } = await verify(token);
      checkIssuedAt(payload);
      return { identity: identityFromClaims(payload as Record<string, unknown>), expiresAt: (payload.exp as number) * 1000 };
    } catch (error) {
      throw refusal(error);
    }
  };
}

export interface TokenClaims {
  sub: string;
  name?: string;
  roles: string[];
  libraries?: number[];
  scope?: string;
}

/** Signs an HS256 token; used for the start-up tokens outside production and by the tests. */
export async function signToken(secret: string, claims: TokenClaims, auth: Pick<AuthConfig, 'issuer' | 'audience'> = {}, expiresIn = '12h'): Promise<string> {
  let jwt = new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(expiresIn);
  if (auth.issuer) jwt = jwt.setIssuer(auth.issuer);
  if (auth.audience) jwt = jwt.setAudience(auth.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
