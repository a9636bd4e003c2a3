import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { describeEachDatabase, TestGateway, WITH_SNAPSHOT } from '../support/gateway';
import { createServer, ServerRecord, unique, updateServer } from '../support/fixtures';
import { errorCodes, startAuthSink, TRANSPORT_FIELDS } from './helpers';

/**
 * D12: decrypted transport settings only for a service token with mail:credentials, and a stored
 * password is never sent to a destination it was not entered for.
 */

const TRANSPORT = `query SmtpServer($id: ID!) { smtpServer(id: $id) { id transport { ${TRANSPORT_FIELDS} } } }`;

interface Transport {
  host: string;
  port: number;
  secure: boolean;
  requireTLS: boolean;
  ignoreTLS: boolean;
  connectionTimeout: number;
  greetingTimeout: number;
  socketTimeout: number;
  auth: { user: string; pass: string } | null;
  tlsCaPem: string | null;
}

function withoutNulls<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null)) as Partial<T>;
}

function credentialsSuite(gw: () => TestGateway): void {
  let server: ServerRecord;
  const password = `pw-${unique('cred')}`;

  beforeAll(async () => {
    server = await createServer(gw(), {
      host: 'smtp.example.org',
      port: 587,
      username: 'mailer@example.org',
      password,
      requiresAuth: true,
      allowTls: true,
      connectionTimeoutMs: 12_000,
      timeoutMs: 200_000,
    });
  });

  test('D12: SmtpServer.transport gives a mail:credentials service the decrypted, nodemailer-ready settings', async () => {
    const data = await gw().ok<{ smtpServer: { transport: Transport } }>(TRANSPORT, { id: server.id }, gw().tokens.credentials);
    expect(data.smtpServer.transport).toEqual({
      host: 'smtp.example.org',
      port: 587,
      secure: false,
      requireTLS: true,
      ignoreTLS: false,
      connectionTimeout: 12_000,
      greetingTimeout: 12_000,
      socketTimeout: 200_000,
      auth: { user: 'mailer@example.org', pass: password },
      tlsCaPem: null,
    });
  });

  test('D12: allowSsl maps to secure: true; a server without requiresAuth has auth: null', async () => {
    const ssl = await createServer(gw(), { port: 465, allowSsl: true, requiresAuth: false, username: 'u', password: 'unused' });
    const data = await gw().ok<{ smtpServer: { transport: Transport } }>(TRANSPORT, { id: ssl.id }, gw().tokens.credentials);
    expect(data.smtpServer.transport).toMatchObject({ port: 465, secure: true, requireTLS: false, auth: null });
  });

  test.each([
    ['support', async () => gw().tokens.support],
    ['library-admin', async () => gw().token({ sub: 'librarian', roles: ['library-admin'], libraries: [1, 2, 3] })],
    ['service without mail:credentials', async () => gw().tokens.service],
    ['service with another scope', async () => gw().token({ sub: 'svc-x', roles: ['service'], scope: 'mail:read mail:credentialsx' })],
    ['mail:credentials scope without the service role', async () => gw().token({ sub: 'svc-y', roles: ['support'], scope: 'mail:credentials' })],
    ['a token with no roles', async () => gw().token({ sub: 'nobody', roles: [], scope: 'mail:credentials' })],
  ])('D12: SmtpServer.transport is FORBIDDEN for %s, and the password is not in the response', async (_who, token) => {
    const result = await gw().gql(TRANSPORT, { id: server.id }, await token());
    expect(errorCodes(result)).toEqual(['FORBIDDEN']);
    // refused at the transport field, or already at smtpServer for roles that cannot read servers at all
    expect(result.errors![0].path?.[0]).toBe('smtpServer');
    expect(JSON.stringify(result)).not.toContain(password);
  });

  test('D12: SmtpServer.transport without a token is UNAUTHENTICATED', async () => {
    const result = await gw().gql(TRANSPORT, { id: server.id }, null);
    expect(errorCodes(result)).toEqual(['UNAUTHENTICATED']);
    expect(JSON.stringify(result)).not.toContain(password);
  });

  test('D12: the transport field is forbidden on every path that reaches a server, not only smtpServer(id)', async () => {
    const library = await gw().ok<{ createLibrary: { id: string } }>(`mutation CreateLibrary($input: LibraryInput!) { createLibrary(input: $input) { id } }`, {
      input: { code: unique('CRED'), name: 'Credentials library', contactEmail: 'lib@example.org', smtpServerId: server.id },
    });
    const admin = await gw().token({ sub: 'librarian', roles: ['library-admin'], libraries: [Number(library.createLibrary.id)] });
    const queries = [
      `{ smtpServers { id transport { auth { pass } } } }`,
      `query Library($l: ID!) { library(id: $l) { smtpServer { transport { auth { pass } } } } }`,
      `query EffectiveMailConfig($l: ID!) { effectiveMailConfig(libraryId: $l) { servers { transport { auth { pass } } } } }`,
    ];
    for (const query of queries) {
      for (const token of [gw().tokens.support, gw().tokens.service, admin]) {
        const result = await gw().gql(query, { l: library.createLibrary.id }, token);
        expect(errorCodes(result).length).toBeGreaterThan(0);
        expect(new Set(errorCodes(result))).toEqual(new Set(['FORBIDDEN']));
        expect(JSON.stringify(result)).not.toContain(password);
      }
      const allowed = await gw().gql(query, { l: library.createLibrary.id }, gw().tokens.credentials);
      expect(allowed.errors).toBeUndefined();
      expect(JSON.stringify(allowed.data)).toContain(password);
    }
  });

  describe('D12: changing the destination without the password clears it', () => {
    const changes: Array<[string, Record<string, unknown>]> = [
      ['host', { host: 'other.example.org' }],
      ['port', { port: 2525 }],
      ['allowTls', { allowTls: false }],
      ['allowSsl', { allowSsl: true }],
      ['username', { username: 'someone-else@example.org' }],
      ['username (cleared)', { username: null }],
    ];

    test.each(changes)('D12: changing %s without a password clears the stored password and says so', async (field, input) => {
      const secret = `pw-${unique('dest')}`;
      const row = await createServer(gw(), { host: 'smtp.example.org', port: 587, username: 'mailer', password: secret, requiresAuth: true, allowTls: true });
      expect(row.hasPassword).toBe(true);
      const updated = await updateServer(gw(), row.id, input);
      expect(updated.hasPassword).toBe(false);
      expect(updated.notices).toHaveLength(1);
      expect(updated.notices[0]).toMatch(/password/i);
      expect(updated.notices[0]).toContain(field.split(' ')[0]);
      expect(updated.notices.join(' ')).not.toContain(secret);
      const raw: Array<{ password: string | null }> = await gw().dataSource.query('SELECT password FROM smtp_server WHERE id = ?', [Number(row.id)]);
      expect(raw[0].password ?? null).toBeNull();
      // the transport no longer carries the old password
      const transport = await gw().ok<{ smtpServer: { transport: Transport } }>(TRANSPORT, { id: row.id }, gw().tokens.credentials);
      expect(JSON.stringify(transport)).not.toContain(secret);
      expect(transport.smtpServer.transport.auth?.pass ?? '').toBe('');
      // a later read shows no stale notice
      const read = await gw().ok<{ smtpServer: ServerRecord }>(`query SmtpServer($id: ID!) { smtpServer(id: $id) { hasPassword notices } }`, { id: row.id });
      expect(read.smtpServer).toMatchObject({ hasPassword: false, notices: [] });
    });

    test.each(changes)('D12: changing %s together with a new password keeps a password, and transport returns the new one', async (_field, input) => {
      const row = await createServer(gw(), {
        host: 'smtp.example.org',
        port: 587,
        username: 'mailer',
        password: 'the-old-one',
        requiresAuth: true,
        allowTls: true,
      });
      const fresh = `pw-${unique('new')}`;
      const updated = await updateServer(gw(), row.id, { ...input, password: fresh });
      expect(updated.hasPassword).toBe(true);
      expect(updated.notices).toEqual([]);
      const transport = await gw().ok<{ smtpServer: { transport: Transport } }>(TRANSPORT, { id: row.id }, gw().tokens.credentials);
      expect(transport.smtpServer.transport.auth?.pass).toBe(fresh);
      expect(JSON.stringify(transport)).not.toContain('the-old-one');
    });

    test.each<[string, Record<string, unknown>]>([
      ['name', { name: 'Renamed server' }],
      ['timeouts', { connectionTimeoutMs: 5_000, timeoutMs: 300_000 }],
      ['requiresAuth', { requiresAuth: true }],
      ['the same host, port, flags and username again', { host: 'smtp.example.org', port: 587, allowTls: true, allowSsl: false, username: 'mailer' }],
    ])('D12: changing only %s keeps the password', async (_what, input) => {
      const secret = `pw-${unique('keep')}`;
      const row = await createServer(gw(), { host: 'smtp.example.org', port: 587, username: 'mailer', password: secret, requiresAuth: true, allowTls: true });
      const updated = await updateServer(gw(), row.id, input);
      expect(updated.hasPassword).toBe(true);
      expect(updated.notices).toEqual([]);
      const transport = await gw().ok<{ smtpServer: { transport: Transport } }>(TRANSPORT, { id: row.id }, gw().tokens.credentials);
      expect(transport.smtpServer.transport.auth?.pass).toBe(secret);
    });

    test('D12: a refused destination change (invalid port) keeps the password and writes nothing', async () => {
      const secret = `pw-${unique('invalid')}`;
      const row = await createServer(gw(), { username: 'mailer', password: secret, requiresAuth: true });
      const before = await gw().dataSource.query('SELECT * FROM smtp_server WHERE id = ?', [Number(row.id)]);
      const result = await gw().gql(
        `mutation UpdateSmtpServer($id: ID!) { updateSmtpServer(id: $id, input: { host: "new.example.org", port: 70000 }) { id } }`,
        {
          id: row.id,
        },
      );
      expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'port' });
      expect(await gw().dataSource.query('SELECT * FROM smtp_server WHERE id = ?', [Number(row.id)])).toEqual(before);
    });
  });

  test('D12: a repeated effectiveMailConfig transport query sees a password change or a D12 clear at once (no stale credentials)', async () => {
    const first = `pw-${unique('fresh1')}`;
    const row = await createServer(gw(), { host: 'smtp.example.org', port: 587, username: 'mailer', password: first, requiresAuth: true });
    const library = await gw().ok<{ createLibrary: { id: string } }>(`mutation CreateLibrary($input: LibraryInput!) { createLibrary(input: $input) { id } }`, {
      input: { code: unique('FRESH'), name: 'Fresh library', contactEmail: 'fresh@example.org', smtpServerId: row.id },
    });
    const query = `query EffectiveMailConfig($l: ID!) { effectiveMailConfig(libraryId: $l) { servers { id host transport { host auth { user pass } } } } }`;
    const ask = async () => {
      const data = await gw().ok<{ effectiveMailConfig: { servers: Array<{ id: string; transport: Transport }> } }>(
        query,
        { l: library.createLibrary.id },
        gw().tokens.credentials,
      );
      return data.effectiveMailConfig.servers.find((s) => s.id === row.id)!.transport;
    };
    expect((await ask()).auth?.pass).toBe(first);
    expect((await ask()).auth?.pass).toBe(first);

    const second = `pw-${unique('fresh2')}`;
    await updateServer(gw(), row.id, { password: second });
    expect((await ask()).auth?.pass).toBe(second);

    await updateServer(gw(), row.id, { host: 'elsewhere.example.org' });
    const moved = await ask();
    expect(moved.host).toBe('elsewhere.example.org');
    expect(moved.auth?.pass ?? '').toBe('');
    expect(JSON.stringify(moved)).not.toContain(second);
  });

  test('D12: the transport result passed straight to nodemailer.createTransport authenticates at the server', async () => {
    const secret = `pw-${unique('nodemailer')}`;
    const sink = await startAuthSink('relay-user', secret);
    try {
      const row = await createServer(gw(), {
        host: '127.0.0.1',
        port: sink.port,
        username: 'relay-user',
        password: secret,
        requiresAuth: true,
        connectionTimeoutMs: 5_000,
        timeoutMs: 200_000,
      });
      const data = await gw().ok<{ smtpServer: { transport: Transport } }>(TRANSPORT, { id: row.id }, gw().tokens.credentials);
      // README usage: the service drops null fields and hands the rest to nodemailer
      const transporter = nodemailer.createTransport(withoutNulls(data.smtpServer.transport) as SMTPTransport.Options);
      try {
        const info = await transporter.sendMail({
          from: 'library@example.org',
          to: 'reader@example.org',
          subject: 'D12 transport',
          text: 'sent with the transport settings',
        });
        expect(info.accepted).toEqual(['reader@example.org']);
      } finally {
        transporter.close();
      }
      expect(sink.logins).toEqual([{ username: 'relay-user', password: secret, accepted: true }]);
      expect(sink.messages).toHaveLength(1);
      expect(sink.messages[0]).toMatchObject({ user: 'relay-user', mailFrom: 'library@example.org', rcptTo: ['reader@example.org'] });
      expect(sink.messages[0].raw).toContain('Subject: D12 transport');
    } finally {
      await sink.close();
    }
  });
}

describeEachDatabase('D12: credentials for internal services', credentialsSuite);
// Production runs with the configuration snapshot and response cache on (CONFIG_CACHE defaults to
// true); the same rules must hold there, answers coming from the snapshot.
describeEachDatabase(
  'D12: credentials for internal services, configuration cache on',
  (gw) => {
    credentialsSuite(gw);
    test('D12: (these answers really came through the configuration snapshot)', () => {
      expect(gw().services.snapshots?.current?.revision).toBeGreaterThan(0);
    });
  },
  WITH_SNAPSHOT,
);
