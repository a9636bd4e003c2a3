import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SecretsConfig } from '../config';
import { parseKey, SecretBox, SecretError } from './secret-box';

/**
 * The key ring from the configuration. Outside production, with no MAIL_CONFIG_KEY, a key is
 * generated once into a file readable only by its owner, so a newcomer's passwords survive restarts.
 */
export function createSecretBox(secrets: SecretsConfig, production: boolean): SecretBox {
  const old = secrets.oldKeys.map((k, i) => parseKey(`MAIL_CONFIG_OLD_KEYS[${i + 1}]`, k));
  if (secrets.key) return new SecretBox(parseKey('MAIL_CONFIG_KEY', secrets.key), old);
  if (production) throw new SecretError('MAIL_CONFIG_KEY must be set in production');
  if (!existsSync(secrets.devKeyFile)) {
    mkdirSync(dirname(secrets.devKeyFile), { recursive: true });
    writeFileSync(secrets.devKeyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  }
  chmodSync(secrets.devKeyFile, 0o600);
  return new SecretBox(parseKey(secrets.devKeyFile, readFileSync(secrets.devKeyFile, 'utf8')), old);
}
