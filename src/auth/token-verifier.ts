import { createRemoteJWKSet, JWTPayload, jwtVerify, JWTVerifyGetKey, SignJWT } from 'jose';
import { AuthConfig } from '../config';
import { Identity, identityFromClaims } from './identity';

export type TokenVerifier = (token: string) => Promise<{ identity: Identity; expiresAt: number | null }>;

export class InvalidTokenError extends Error {}

/** Verifies bearer tokens with the shared HS256 secret or the provider's JWKS (RS256/ES256). */
export function createTokenVerifier(auth: AuthConfig): TokenVerifier {
  const options = { issuer: auth.issuer, audience: auth.audience };
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
      return { identity: identityFromClaims(payload as Record<string, unknown>), expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : null };
    } catch (error) {
      const reason = error instanceof Error && 'code' in error ? String((error as { code: unknown }).code) : 'invalid token';
      throw new InvalidTokenError(reason);
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
