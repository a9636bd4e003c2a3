import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecretBox } from '../../src/secrets/key-store';
import { keyId, parseKey, SecretBox, SecretError } from '../../src/secrets/secret-box';
import { describeEachDatabase, TEST_MAIL_CONFIG_KEY } from '../support/gateway';
import { createServer, unique } from '../support/fixtures';
import { rawPassword, TRANSPORT_FIELDS } from './helpers';

/**
 * D12: SMTP passwords are encrypted at rest with AES-256-GCM under MAIL_CONFIG_KEY, a fresh IV per
 * write, the server bound as associated data and the key id stored with the value; old keys
 * decrypt only, and rotation re-encrypts under the current key.
 */

const OLD_KEY = randomBytes(32).toString('base64');
const NEW_KEY = randomBytes(32).toString('base64');
const TEST_KEY_ID = keyId(Buffer.from(TEST_MAIL_CONFIG_KEY, 'base64'));
const OLD_KEY_ID = keyId(Buffer.from(OLD_KEY, 'base64'));
const NEW_KEY_ID = keyId(Buffer.from(NEW_KEY, 'base64'));

const TRANSPORT = `query SmtpServer($id: ID!) { smtpServer(id: $id) { id transport { ${TRANSPORT_FIELDS} } } }`;
const VERIFY = `mutation VerifySmtpServer($id: ID!) { verifySmtpServer(id: $id) { ok reachedStage errorCode message } }`;

function parts(sealed: string | null): { format: string; keyId: string; iv: string; tag: string; ciphertext: string } {
  expect(sealed).toEqual(expect.any(String));
  const [format, id, iv, tag, ciphertext, ...rest] = (sealed as string).split(':');
  expect(rest).toEqual([]);
  return { format, keyId: id, iv, tag, ciphertext };
}

describeEachDatabase('D12: passwords at rest', (gw) => {
  test('D12: the password column holds a v1:<key id>:iv:tag:ciphertext value, never the plaintext', async () => {
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const server = await createServer(gw(), { username: 'mailer', password, requiresAuth: true });
    expect(server.hasPassword).toBe(true);
    const raw = await rawPassword(gw(), server.id);
    expect(raw).not.toContain(password);
    expect(raw).not.toContain(Buffer.from(password).toString('base64'));
    const p = parts(raw);
    expect(p.format).toBe('v1');
    expect(p.keyId).toBe(TEST_KEY_ID);
    expect(Buffer.from(p.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(p.tag, 'base64')).toHaveLength(16);
    expect(Buffer.from(p.ciphertext, 'base64')).toHaveLength(Buffer.byteLength(password));
    // the whole row, as the database returns it, does not hold the plaintext either
    const [row] = await gw().dataSource.query('SELECT * FROM smtp_server WHERE id = ?', [Number(server.id)]);
    expect(JSON.stringify(row)).not.toContain(password);
  });

  test('D12: two writes of the same password give different ciphertexts (fresh IV per write)', async () => {
    const password = 'same-password-twice';
    const a = await createServer(gw(), { username: 'u', password, requiresAuth: true });
    const b = await createServer(gw(), { username: 'u', password, requiresAuth: true });
    const first = await rawPassword(gw(), a.id);
    await gw().ok(`mutation UpdateSmtpServer($id: ID!) { updateSmtpServer(id: $id, input: { password: "same-password-twice" }) { id } }`, { id: a.id });
    const second = await rawPassword(gw(), a.id);
    const other = await rawPassword(gw(), b.id);
    const ivs = [first, second, other].map((v) => parts(v).iv);
    expect(new Set(ivs).size).toBe(3);
    expect(new Set([first, second, other]).size).toBe(3);
    const transport = await gw().ok<{ smtpServer: { transport: { auth: { pass: string } } } }>(TRANSPORT, { id: a.id }, gw().tokens.credentials);
    expect(transport.smtpServer.transport.auth.pass).toBe(password);
  });

  test('D12: a ciphertext copied with SQL onto another server row does not decrypt (owner bound as associated data)', async () => {
    const secretA = `secret-a-${randomBytes(6).toString('hex')}`;
    const secretB = `secret-b-${randomBytes(6).toString('hex')}`;
    const a = await createServer(gw(), { username: 'same-user', password: secretA, requiresAuth: true, host: '127.0.0.1', port: 1, connectionTimeoutMs: 500 });
    const b = await createServer(gw(), { username: 'same-user', password: secretB, requiresAuth: true, host: '127.0.0.1', port: 1, connectionTimeoutMs: 500 });
    await gw().dataSource.query('UPDATE smtp_server SET password = ? WHERE id = ?', [await rawPassword(gw(), a.id), Number(b.id)]);

    const result = await gw().gql<{ smtpServer: unknown }>(TRANSPORT, { id: b.id }, gw().tokens.credentials);
    expect(result.errors).toHaveLength(1);
    const [error] = result.errors!;
    expect(error.message).toMatch(/stored password/i);
    expect(error.message).toMatch(/does not decrypt/);
    expect(error.message).toContain(b.name);
    const body = JSON.stringify(result);
    expect(body).not.toContain(secretA);
    expect(body).not.toContain(secretB);
    // the server it was copied from is unaffected
    const fromA = await gw().ok<{ smtpServer: { transport: { auth: { pass: string } } } }>(TRANSPORT, { id: a.id }, gw().tokens.credentials);
    expect(fromA.smtpServer.transport.auth.pass).toBe(secretA);

    // verifySmtpServer reports it for that server instead of crashing or connecting
    const verify = await gw().gql<{ verifySmtpServer: { ok: boolean; errorCode: string; message: string } }>(VERIFY, { id: b.id });
    expect(verify.errors).toBeUndefined();
    expect(verify.data!.verifySmtpServer.ok).toBe(false);
    expect(verify.data!.verifySmtpServer.errorCode).toBe('AUTH_FAILED');
    expect(verify.data!.verifySmtpServer.message).toMatch(/stored password/i);
    expect(JSON.stringify(verify)).not.toContain(secretA);
    expect(gw().logLines.join('\n')).not.toContain(secretA);
  });

  test('D12: a tampered ciphertext is a clear error, never plaintext or a crash', async () => {
    const secret = `tamper-${randomBytes(6).toString('hex')}`;
    const server = await createServer(gw(), { username: 'u', password: secret, requiresAuth: true });
    const p = parts(await rawPassword(gw(), server.id));
    const flipped = Buffer.from(p.ciphertext, 'base64');
    flipped[0] ^= 0x01;
    await gw().dataSource.query('UPDATE smtp_server SET password = ? WHERE id = ?', [
      ['v1', p.keyId, p.iv, p.tag, flipped.toString('base64')].join(':'),
      Number(server.id),
    ]);
    const result = await gw().gql(TRANSPORT, { id: server.id }, gw().tokens.credentials);
    expect(result.errors?.[0].message).toMatch(/does not decrypt/);
    expect(JSON.stringify(result)).not.toContain(secret);
    // other queries on the server still work
    const plain = await gw().ok<{ smtpServer: { hasPassword: boolean } }>(`query SmtpServer($id: ID!) { smtpServer(id: $id) { hasPassword } }`, {
      id: server.id,
    });
    expect(plain.smtpServer.hasPassword).toBe(true);
  });

  test('D12: a value sealed under a key that is not configured names the key id, not the value', async () => {
    const secret = `unknown-key-${randomBytes(6).toString('hex')}`;
    const server = await createServer(gw(), { username: 'u', password: 'placeholder', requiresAuth: true });
    const foreign = new SecretBox(parseKey('OLD', OLD_KEY)).seal(secret, `smtp_server:${server.id}`);
    await gw().dataSource.query('UPDATE smtp_server SET password = ? WHERE id = ?', [foreign, Number(server.id)]);
    const result = await gw().gql(TRANSPORT, { id: server.id }, gw().tokens.credentials);
    expect(result.errors?.[0].message).toContain(OLD_KEY_ID);
    expect(result.errors?.[0].message).toMatch(/not configured/);
    expect(JSON.stringify(result)).not.toContain(secret);
  });
});

describeEachDatabase(
  'D12: MAIL_CONFIG_OLD_KEYS and key rotation',
  (gw) => {
    test('D12: a value sealed under an old key decrypts while the key is listed as old; rotateKeys re-encrypts it under the current key', async () => {
      const current = await createServer(gw(), { username: 'u1', password: 'sealed-with-new', requiresAuth: true });
      expect(parts(await rawPassword(gw(), current.id)).keyId).toBe(NEW_KEY_ID);

      const legacy = await createServer(gw(), { username: 'u2', password: 'placeholder', requiresAuth: true });
      const oldPassword = `old-${randomBytes(6).toString('hex')}`;
      const sealedOld = new SecretBox(parseKey('OLD', OLD_KEY)).seal(oldPassword, `smtp_server:${legacy.id}`);
      await gw().dataSource.query('UPDATE smtp_server SET password = ? WHERE id = ?', [sealedOld, Number(legacy.id)]);
      expect(parts(await rawPassword(gw(), legacy.id)).keyId).toBe(OLD_KEY_ID);

      const before = await gw().ok<{ smtpServer: { transport: { auth: { pass: string } } } }>(TRANSPORT, { id: legacy.id }, gw().tokens.credentials);
      expect(before.smtpServer.transport.auth.pass).toBe(oldPassword);

      const currentBefore = await rawPassword(gw(), current.id);
      expect(await gw().services.smtpServers.rotateKeys()).toBe(1);
      const rotated = await rawPassword(gw(), legacy.id);
      expect(parts(rotated).keyId).toBe(NEW_KEY_ID);
      expect(rotated).not.toBe(sealedOld);
      expect(rotated).not.toContain(oldPassword);
      // values already under the current key are left alone
      expect(await rawPassword(gw(), current.id)).toBe(currentBefore);

      const after = await gw().ok<{ smtpServer: { transport: { auth: { pass: string } } } }>(TRANSPORT, { id: legacy.id }, gw().tokens.credentials);
      expect(after.smtpServer.transport.auth.pass).toBe(oldPassword);
      // the rotated value no longer needs the old key
      expect(new SecretBox(parseKey('NEW', NEW_KEY)).open(rotated as string, `smtp_server:${legacy.id}`)).toBe(oldPassword);
      // nothing is stale any more
      expect(await gw().services.smtpServers.rotateKeys()).toBe(0);
    });

    test('D12: a rotation that meets a value it cannot decrypt changes nothing and does not reveal a value', async () => {
      const stale = await createServer(gw(), { username: 'u3', password: 'placeholder', requiresAuth: true });
      const sealedStale = new SecretBox(parseKey('OLD', OLD_KEY)).seal('stale-secret', `smtp_server:${stale.id}`);
      await gw().dataSource.query('UPDATE smtp_server SET password = ? WHERE id = ?', [sealedStale, Number(stale.id)]);
      const broken = await createServer(gw(), { username: 'u4', password: 'placeholder', requiresAuth: true });
      // sealed under the old key for another owner: stale, and not decryptable for this row
      const misplaced = new SecretBox(parseKey('OLD', OLD_KEY)).seal('misplaced-secret', `smtp_server:${stale.id}`);
      await gw().dataSource.query('UPDATE smtp_server SET password = ? WHERE id = ?', [misplaced, Number(broken.id)]);
      try {
        const failure = await gw()
          .services.smtpServers.rotateKeys()
          .then(
            () => null,
            (error: Error) => error,
          );
        expect(failure).toBeInstanceOf(SecretError);
        expect(failure!.message).not.toContain('misplaced-secret');
        expect(failure!.message).not.toContain('stale-secret');
        // all or nothing: the decryptable stale value was not rewritten either
        expect(await rawPassword(gw(), stale.id)).toBe(sealedStale);
        expect(await rawPassword(gw(), broken.id)).toBe(misplaced);
      } finally {
        await gw().dataSource.query('UPDATE smtp_server SET password = NULL WHERE id = ?', [Number(broken.id)]);
      }
      expect(await gw().services.smtpServers.rotateKeys()).toBe(1);
      expect(parts(await rawPassword(gw(), stale.id)).keyId).toBe(NEW_KEY_ID);
    });

    test('D12: new writes always use the current key, never an old one', async () => {
      const server = await createServer(gw(), { username: 'u', password: 'fresh', requiresAuth: true });
      await gw().ok(`mutation UpdateSmtpServer($id: ID!) { updateSmtpServer(id: $id, input: { password: "fresher" }) { id } }`, { id: server.id });
      expect(parts(await rawPassword(gw(), server.id)).keyId).toBe(NEW_KEY_ID);
    });
  },
  { secrets: { key: NEW_KEY, oldKeys: [OLD_KEY], devKeyFile: '' } },
);

describe('D12: SecretBox (unit)', () => {
  const key = parseKey('KEY', NEW_KEY);
  const old = parseKey('OLD', OLD_KEY);

  test('D12: seal/open round-trips and binds the owner', () => {
    const box = new SecretBox(key);
    const sealed = box.seal('hunter2 žluťoučký', 'smtp_server:1');
    expect(sealed.startsWith(`v1:${key.id}:`)).toBe(true);
    expect(box.open(sealed, 'smtp_server:1')).toBe('hunter2 žluťoučký');
    expect(() => box.open(sealed, 'smtp_server:2')).toThrow(SecretError);
    expect(() => box.open(sealed, 'smtp_server:2')).toThrow(/does not decrypt/);
  });

  test('D12: an unknown key id is refused with the id named', () => {
    const sealed = new SecretBox(old).seal('secret', 'o');
    const box = new SecretBox(key);
    expect(() => box.open(sealed, 'o')).toThrow(SecretError);
    expect(() => box.open(sealed, 'o')).toThrow(old.id);
    // a value whose key id was rewritten to the current key does not decrypt either
    const relabelled = sealed.replace(`:${old.id}:`, `:${key.id}:`);
    expect(() => box.open(relabelled, 'o')).toThrow(/does not decrypt/);
  });

  test('D12: a tampered tag, IV or ciphertext is refused', () => {
    const box = new SecretBox(key);
    const sealed = box.seal('secret-value', 'o');
    const [v, id, iv, tag, ct] = sealed.split(':');
    const flip = (b64: string) => {
      const buf = Buffer.from(b64, 'base64');
      buf[buf.length - 1] ^= 0x80;
      return buf.toString('base64');
    };
    for (const tampered of [
      [v, id, iv, flip(tag), ct],
      [v, id, flip(iv), tag, ct],
      [v, id, iv, tag, flip(ct)],
      [v, id, iv, Buffer.alloc(4).toString('base64'), ct],
    ]) {
      expect(() => box.open(tampered.join(':'), 'o')).toThrow(SecretError);
    }
    // a genuine tag cut short must not pass: a 4-byte tag would be forgeable by brute force
    for (const length of [4, 8, 12, 15]) {
      const truncated = Buffer.from(tag, 'base64').subarray(0, length).toString('base64');
      expect(() => box.open([v, id, iv, truncated, ct].join(':'), 'o')).toThrow(/does not decrypt/);
    }
    expect(() => box.open('plaintext-password', 'o')).toThrow(/not in a known format/);
    expect(() => box.open(`v2:${id}:${iv}:${tag}:${ct}`, 'o')).toThrow(/not in a known format/);
  });

  test('D12: old keys decrypt, only the current key seals, isStale tells them apart', () => {
    const sealedOld = new SecretBox(old).seal('legacy', 'o');
    const ring = new SecretBox(key, [old]);
    expect(ring.open(sealedOld, 'o')).toBe('legacy');
    expect(ring.isStale(sealedOld)).toBe(true);
    const sealedNew = ring.seal('legacy', 'o');
    expect(sealedNew.split(':')[1]).toBe(key.id);
    expect(ring.isStale(sealedNew)).toBe(false);
    expect(() => new SecretBox(key).open(sealedOld, 'o')).toThrow(/not configured/);
  });

  test('D12: the key must be base64 of exactly 32 bytes, and the error does not echo it', () => {
    const short = randomBytes(16).toString('base64');
    expect(() => parseKey('MAIL_CONFIG_KEY', short)).toThrow(/MAIL_CONFIG_KEY must be the base64 encoding of exactly 32/);
    expect(() => parseKey('MAIL_CONFIG_KEY', 'not base64 at all!!')).toThrow(SecretError);
    try {
      parseKey('MAIL_CONFIG_KEY', short);
    } catch (error) {
      expect((error as Error).message).not.toContain(short);
    }
  });
});

describe('D12: createSecretBox and the development key file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mcg-keys-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('D12: outside production without MAIL_CONFIG_KEY a key is generated once (mode 0600) and reused', () => {
    const devKeyFile = join(dir, 'data', 'mail-config.key');
    expect(existsSync(devKeyFile)).toBe(false);
    const first = createSecretBox({ oldKeys: [], devKeyFile }, false);
    expect(existsSync(devKeyFile)).toBe(true);
    expect(statSync(devKeyFile).mode & 0o777).toBe(0o600);
    const content = readFileSync(devKeyFile, 'utf8');
    expect(Buffer.from(content.trim(), 'base64')).toHaveLength(32);

    const sealed = first.seal('survives restarts', 'smtp_server:1');
    const second = createSecretBox({ oldKeys: [], devKeyFile }, false);
    expect(readFileSync(devKeyFile, 'utf8')).toBe(content);
    expect(second.current.id).toBe(first.current.id);
    expect(second.open(sealed, 'smtp_server:1')).toBe('survives restarts');
  });

  test('D12: a key file with looser permissions is tightened to 0600', () => {
    const devKeyFile = join(dir, 'mail-config.key');
    createSecretBox({ oldKeys: [], devKeyFile }, false);
    chmodSync(devKeyFile, 0o644);
    createSecretBox({ oldKeys: [], devKeyFile }, false);
    expect(statSync(devKeyFile).mode & 0o777).toBe(0o600);
  });

  test('D12: MAIL_CONFIG_KEY wins over the key file, which is then not created', () => {
    const devKeyFile = join(dir, 'mail-config.key');
    const box = createSecretBox({ key: NEW_KEY, oldKeys: [OLD_KEY], devKeyFile }, false);
    expect(box.current.id).toBe(NEW_KEY_ID);
    expect(existsSync(devKeyFile)).toBe(false);
    expect(box.open(new SecretBox(parseKey('OLD', OLD_KEY)).seal('x', 'o'), 'o')).toBe('x');
  });

  test('D12: in production a missing key throws and no key file is written', () => {
    const devKeyFile = join(dir, 'mail-config.key');
    expect(() => createSecretBox({ oldKeys: [], devKeyFile }, true)).toThrow(SecretError);
    expect(() => createSecretBox({ oldKeys: [], devKeyFile }, true)).toThrow(/MAIL_CONFIG_KEY must be set in production/);
    expect(existsSync(devKeyFile)).toBe(false);
  });

  test('D12: a malformed key or old key is refused with the variable named', () => {
    const devKeyFile = join(dir, 'mail-config.key');
    expect(() => createSecretBox({ key: 'short', oldKeys: [], devKeyFile }, true)).toThrow(/MAIL_CONFIG_KEY/);
    expect(() => createSecretBox({ key: NEW_KEY, oldKeys: [unique('bad')], devKeyFile }, true)).toThrow(/MAIL_CONFIG_OLD_KEYS\[1\]/);
  });
});
