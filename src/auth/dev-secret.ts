import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AuthConfig } from '../config';

/** How a token is signed here, or why it cannot be. */
export type SigningSecret = { secret: string; generated: boolean } | { refusal: string };

/**
 * Outside production, with no AUTH_JWT_SECRET or AUTH_JWKS_URL, the HS256 secret is generated once
 * into a file readable only by its owner (like the development encryption key), so a token minted
 * yesterday still works after a restart.
 */
export function developmentSecret(file: string): string {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  }
  chmodSync(file, 0o600);
  const secret = readFileSync(file, 'utf8').trim();
  if (Buffer.byteLength(secret) < 32) throw new Error(`${file} must hold a secret of at least 32 bytes; delete it to have a new one generated`);
  return secret;
}

/** The secret tokens are signed with: AUTH_JWT_SECRET, else (outside production) the development one. */
export function signingSecret(auth: AuthConfig, production: boolean): SigningSecret {
  if (auth.jwksUrl) return { refusal: 'AUTH_JWKS_URL is configured: tokens are issued by that provider, not by this gateway' };
  if (auth.jwtSecret) return { secret: auth.jwtSecret, generated: auth.generated };
  if (production) return { refusal: 'In production AUTH_JWT_SECRET or AUTH_JWKS_URL must be set' };
  return { secret: developmentSecret(auth.devSecretFile), generated: true };
}
