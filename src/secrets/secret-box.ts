import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for secrets at rest (D12). Each value records the id of the key that sealed it,
 * and is bound to its owner (e.g. "smtp_server:7") as associated data, so a ciphertext copied onto
 * another row does not decrypt.
 */
export const SECRET_FORMAT = 'v1';

export interface SecretKey {
  id: string;
  key: Buffer;
}

export class SecretError extends Error {}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

export function parseKey(name: string, base64: string): SecretKey {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== 32 || key.toString('base64').replace(/=+$/, '') !== base64.trim().replace(/=+$/, '')) {
    throw new SecretError(`${name} must be the base64 encoding of exactly 32 random bytes (e.g. openssl rand -base64 32)`);
  }
  return { id: keyId(key), key };
}

export class SecretBox {
  private readonly byId: Map<string, SecretKey>;

  constructor(
    readonly current: SecretKey,
    old: SecretKey[] = [],
  ) {
    this.byId = new Map([...old, current].map((k) => [k.id, k]));
  }

  /**
   * A key for another purpose (HKDF-SHA-256 of the current key, labelled by the purpose): every
   * instance has it, and what it signs or seals tells nothing about the key itself.
   */
  derive(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.current.key, Buffer.alloc(0), purpose, 32));
  }

  seal(plaintext: string, owner: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(owner, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [SECRET_FORMAT, this.current.id, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ciphertext.toString('base64')].join(':');
  }

  open(sealed: string, owner: string): string {
    const parts = sealed.split(':');
    if (parts.length !== 5 || parts[0] !== SECRET_FORMAT) throw new SecretError('the stored secret is not in a known format');
    const [, id, iv, tag, ciphertext] = parts;
    const key = this.byId.get(id);
    if (!key) throw new SecretError(`the stored secret was sealed with key ${id}, which is not configured (MAIL_CONFIG_KEY / MAIL_CONFIG_OLD_KEYS)`);
    try {
      // authTagLength pins the full 16-byte tag: without it Node accepts a truncated (forgeable) tag.
      const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64'), { authTagLength: 16 });
      decipher.setAAD(Buffer.from(owner, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretError('the stored secret does not decrypt: it was altered or belongs to another record');
    }
  }

  /** True when the value is sealed with an older key and should be re-encrypted. */
  isStale(sealed: string): boolean {
    return sealed.split(':')[1] !== this.current.id;
  }
}
