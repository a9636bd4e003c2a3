import { CREATE_SMTP_SERVER, VERIFY_SMTP_SERVER } from '../support/documents';
import { expectError } from '../support/expect-error';
import { createServer, GraphQLClient, unique } from '../support/fixtures';
import { describeEachDatabase, GraphQLResponse, TestGateway } from '../support/gateway';
import { closedPort, createTestPki, HOST, startBannerServer, startSilentServer, startSmtpSink, TestServers, type TestPki } from '../transport/smtp-fixtures';

/**
 * verifySmtpServer over the real HTTP API on both databases, against real SMTP servers
 * (smtp-server) on loopback: connect, greet, TLS and AUTH exactly as sending would (D9), quit
 * without sending; report the stage reached, a stable error code (D11) and the duration. Only
 * support may run it (R2). A stored password that no longer decrypts is a clear AUTH_FAILED, not a
 * crash, and no password ever shows in a response or in the log (D12).
 */

const USERNAME = 'library-user';
const PASSWORD = 'Gql-Verify-Pa55-61d3b2e0';
const WRONG_PASSWORD = 'Gql-Verify-Wrong-0a9c4f17';
const CREDENTIALS = { username: USERNAME, password: PASSWORD };
const CA_NAME = 'Verify SMTP GraphQL CA';

function secretForms(password: string): string[] {
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  return [password, b64(password), b64(`\u0000${USERNAME}\u0000${password}`), b64(`${USERNAME}\u0000${password}`)];
}
const SECRETS = [...secretForms(PASSWORD), ...secretForms(WRONG_PASSWORD)];

function expectNoSecret(text: string): void {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

interface SmtpCheck {
  ok: boolean;
  reachedStage: string;
  errorCode: string | null;
  message: string | null;
  durationMs: number;
  server: { id: string; name: string; hasPassword: boolean };
}

const sinks = new TestServers();
let pki: TestPki;

/** A server on a loopback port, with timeouts short enough that a misbehaving peer cannot hang a test. */
function loopback(port: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: unique('verify'), host: HOST, port, connectionTimeoutMs: 3000, timeoutMs: 5000, ...overrides };
}

beforeAll(() => {
  pki = createTestPki(CA_NAME);
});

afterAll(() => sinks.closeAll());

describeEachDatabase('verifySmtpServer (D9, D11, D12)', (gw: () => TestGateway) => {
  const bodies: string[] = [];

  async function gql<T = Record<string, any>>(query: string, variables: Record<string, unknown>, token?: string | null): Promise<GraphQLResponse<T>> {
    const result = await gw().gql<T>(query, variables, token === undefined ? gw().tokens.support : token);
    bodies.push(JSON.stringify(result));
    return result;
  }
  /** Creates fixtures through `gql`, so their responses are checked for secrets as well. */
  const recorded: GraphQLClient = {
    async ok<T>(query: string, variables: Record<string, unknown> = {}, token?: string | null): Promise<T> {
      const result = await gql<T>(query, variables, token);
      if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors, null, 2)}`);
      return result.data as T;
    },
  };
  async function verify(id: string, token?: string | null): Promise<GraphQLResponse<{ verifySmtpServer: SmtpCheck }>> {
    return gql<{ verifySmtpServer: SmtpCheck }>(VERIFY_SMTP_SERVER, { id }, token);
  }
  async function check(id: string): Promise<SmtpCheck> {
    const result = await verify(id);
    expect(result.errors).toBeUndefined();
    return result.data!.verifySmtpServer;
  }

  it('D9: STARTTLS with the test CA and AUTH accepted: DONE, logged in, nothing sent', async () => {
    const sink = await sinks.add(startSmtpSink({ tls: 'starttls', pki, credentials: CREDENTIALS }));
    const server = await createServer(recorded, loopback(sink.port, { allowTls: true, requiresAuth: true, tlsCaPem: pki.caPem, ...CREDENTIALS }));
    expect(server).toMatchObject({ hasPassword: true, hasTlsCa: true, tlsCaSubject: CA_NAME });

    const result = await check(server.id);

    expect(result).toEqual({
      ok: true,
      reachedStage: 'DONE',
      errorCode: null,
      message: null,
      durationMs: expect.any(Number),
      server: { id: server.id, name: server.name, hasPassword: true },
    });
    expect(sink.authAttempts).toEqual([{ method: 'PLAIN', username: USERNAME, accepted: true }]);
    expect(sink.received).toEqual([]);
    expect(sink.plaintextFromClients()).not.toMatch(/^(MAIL|RCPT|DATA)/m);
    expectNoSecret(sink.plaintextFromClients());
  });

  it('D9: a plain server without authentication: DONE and QUIT, nothing sent', async () => {
    const sink = await sinks.add(startSmtpSink());
    const server = await createServer(recorded, loopback(sink.port));

    expect(await check(server.id)).toMatchObject({ ok: true, reachedStage: 'DONE', errorCode: null });
    expect(sink.connections()).toBe(1);
    expect(sink.received).toEqual([]);
    expect(sink.plaintextFromClients()).toMatch(/^QUIT\r$/m);
    expect(sink.plaintextFromClients()).not.toMatch(/^(MAIL|RCPT|DATA)/m);
  });

  it('D11: AUTH refused: AUTH_FAILED after the TLS stage, with the 535 reply and without the password', async () => {
    const sink = await sinks.add(startSmtpSink({ tls: 'starttls', pki, credentials: CREDENTIALS }));
    const server = await createServer(
      recorded,
      loopback(sink.port, { allowTls: true, requiresAuth: true, tlsCaPem: pki.caPem, username: USERNAME, password: WRONG_PASSWORD }),
    );

    const result = await check(server.id);

    expect(result).toMatchObject({ ok: false, reachedStage: 'TLS', errorCode: 'AUTH_FAILED' });
    expect(result.message).toContain('535');
    expectNoSecret(result.message ?? '');
    expect(sink.authAttempts).toEqual([{ method: 'PLAIN', username: USERNAME, accepted: false }]);
  });

  it('D9: AUTH required but not offered: AUTH_FAILED after the greeting, credentials not sent', async () => {
    const sink = await sinks.add(startSmtpSink());
    const server = await createServer(recorded, loopback(sink.port, { requiresAuth: true, ...CREDENTIALS }));

    const result = await check(server.id);

    expect(result).toMatchObject({ ok: false, reachedStage: 'GREETING', errorCode: 'AUTH_FAILED' });
    expect(sink.plaintextFromClients()).not.toMatch(/^AUTH/m);
    expectNoSecret(sink.plaintextFromClients());
  });

  it('D9: implicit TLS with a certificate the server record does not trust: TLS_FAILED at CONNECT', async () => {
    const sink = await sinks.add(startSmtpSink({ tls: 'implicit', pki, credentials: CREDENTIALS }));
    const server = await createServer(recorded, loopback(sink.port, { allowSsl: true, requiresAuth: true, ...CREDENTIALS }));
    expect(server).toMatchObject({ hasTlsCa: false, tlsCaSubject: null });

    const result = await check(server.id);

    expect(result).toMatchObject({ ok: false, reachedStage: 'CONNECT', errorCode: 'TLS_FAILED' });
    expect(result.message).toMatch(/certificate/i);
    expect(sink.authAttempts).toEqual([]);
  });

  it('D9: implicit TLS trusted through tlsCaPem: DONE', async () => {
    const sink = await sinks.add(startSmtpSink({ tls: 'implicit', pki, credentials: CREDENTIALS }));
    const server = await createServer(recorded, loopback(sink.port, { allowSsl: true, requiresAuth: true, tlsCaPem: pki.caPem, ...CREDENTIALS }));

    expect(await check(server.id)).toMatchObject({ ok: true, reachedStage: 'DONE', errorCode: null });
    expect(sink.authAttempts).toEqual([{ method: 'PLAIN', username: USERNAME, accepted: true }]);
  });

  it('D9: STARTTLS required but not offered: TLS_FAILED after the greeting, the password never sent', async () => {
    const sink = await sinks.add(startSmtpSink({ credentials: CREDENTIALS }));
    const server = await createServer(recorded, loopback(sink.port, { allowTls: true, requiresAuth: true, ...CREDENTIALS }));

    const result = await check(server.id);

    expect(result).toMatchObject({ ok: false, reachedStage: 'GREETING', errorCode: 'TLS_FAILED' });
    expect(sink.authAttempts).toEqual([]);
    expectNoSecret(sink.plaintextFromClients());
  });

  it('D11: a port where nothing listens: CONNECTION_FAILED at CONNECT', async () => {
    const server = await createServer(recorded, loopback(await closedPort()));

    const result = await check(server.id);

    expect(result).toMatchObject({ ok: false, reachedStage: 'CONNECT', errorCode: 'CONNECTION_FAILED' });
    expect(result.message).toMatch(/ECONNREFUSED/);
  });

  it('D9: a server that accepts and never greets: TIMEOUT at CONNECT within connectionTimeoutMs', async () => {
    const silent = await sinks.add(startSilentServer());
    const server = await createServer(recorded, loopback(silent.port, { connectionTimeoutMs: 400 }));

    const result = await check(server.id);

    expect(result).toMatchObject({ ok: false, reachedStage: 'CONNECT', errorCode: 'TIMEOUT' });
    console.log(`[${gw().kind}] verifySmtpServer, no greeting, connectionTimeoutMs 400: TIMEOUT after durationMs=${result.durationMs}`);
    expect(result.durationMs).toBeGreaterThanOrEqual(350);
    expect(result.durationMs).toBeLessThan(2500);
    expect(silent.connections()).toBe(1);
  });

  it('a peer that speaks first and is not SMTP (SSH banner): PROTOCOL_ERROR with a fixed text, the banner never in the response', async () => {
    const peer = await sinks.add(startBannerServer('SSH-2.0-OpenSSH_9.6 internal-secret=Gql-Banner-Canary-52c1\r\n'));
    const server = await createServer(recorded, loopback(peer.port));

    const result = await gql<{ verifySmtpServer: SmtpCheck }>(
      `mutation VerifySmtpServer($id: ID!) { verifySmtpServer(id: $id) { ok reachedStage errorCode responseCode enhancedStatus message } }`,
      { id: server.id },
    );

    expect(result.data!.verifySmtpServer).toEqual({
      ok: false,
      reachedStage: 'CONNECT',
      errorCode: 'PROTOCOL_ERROR',
      responseCode: null,
      enhancedStatus: null,
      message: 'The server did not answer as an SMTP server',
    });
    expect(JSON.stringify(result)).not.toMatch(/SSH|internal-secret|Canary/);
  });

  it('D12: AUTH refused with an echo of the login: reply code and enhanced status, no server text', async () => {
    const blob = Buffer.from(`\u0000${USERNAME}\u0000${WRONG_PASSWORD}`).toString('base64url');
    const sink = await sinks.add(startSmtpSink({ credentials: CREDENTIALS, rejectAuth: { code: 535, message: `5.7.8 rejected token ${blob}` } }));
    const server = await createServer(recorded, loopback(sink.port, { requiresAuth: true, username: USERNAME, password: WRONG_PASSWORD }));

    const result = await gql<{ verifySmtpServer: SmtpCheck }>(
      `mutation VerifySmtpServer($id: ID!) { verifySmtpServer(id: $id) { errorCode responseCode enhancedStatus message } }`,
      { id: server.id },
    );

    expect(result.data!.verifySmtpServer).toEqual({
      errorCode: 'AUTH_FAILED',
      responseCode: 535,
      enhancedStatus: '5.7.8',
      message: 'The server refused the login (535 5.7.8)',
    });
    expect(JSON.stringify(result)).not.toContain(blob);
  });

  // The fixed texts of the guard: none quotes the host sent.
  const GUARD_REASONS = [
    'host is a link-local address (169.254.0.0/16, fe80::/10), which is never an SMTP server',
    'host is an unspecified address (0.0.0.0/8, ::), which is never an SMTP server',
    'host is a cloud metadata service, not an SMTP server',
  ];
  const ISSUE_SPELLINGS = [
    '::ffff:a9fe:a9fe',
    '0:0:0:0:0:ffff:169.254.169.254',
    '0:0:0:0:0:ffff:a9fe:a9fe',
    'fd00:ec2::254',
    '100.100.100.200',
    '64:ff9b::a9fe:a9fe',
    '2002:a9fe:a9fe::1',
    '0.0.0.0',
    '::',
    '0xa9fea9fe',
  ];

  it.each(ISSUE_SPELLINGS)('guard spellings: createSmtpServer and updateSmtpServer refuse host %s (BAD_USER_INPUT on host, not quoted)', async (host) => {
    const created = await gql(CREATE_SMTP_SERVER, { input: { name: `spelling-${host}`, host, port: 25 } });
    expect(created.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'host' });
    expect(GUARD_REASONS).toContain(created.errors![0].message);

    const server = await createServer(recorded, loopback(25));
    const updated = await gql(`mutation UpdateSmtpServer($id: ID!, $host: String!) { updateSmtpServer(id: $id, input: { host: $host }) { id } }`, {
      id: server.id,
      host,
    });
    expect(updated.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'host' });
  });

  it('guard spellings: a stored ::ffff:a9fe:a9fe (written around the API) is refused before connecting, not timed out', async () => {
    const server = await createServer(recorded, loopback(25, { connectionTimeoutMs: 60_000 }));
    await gw().dataSource.query('UPDATE smtp_server SET host = ? WHERE id = ?', ['::ffff:a9fe:a9fe', Number(server.id)]);

    const started = Date.now();
    const result = await check(server.id);

    expect(result).toMatchObject({ ok: false, reachedStage: 'CONNECT', errorCode: 'CONNECTION_FAILED' });
    expect(result.message).toMatch(/link-local/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('D11: 421 on connect: CONNECTION_FAILED at CONNECT', async () => {
    const sink = await sinks.add(startSmtpSink({ rejectConnect: { code: 421, message: 'Too busy' } }));
    const server = await createServer(recorded, loopback(sink.port));

    expect(await check(server.id)).toMatchObject({ ok: false, reachedStage: 'CONNECT', errorCode: 'CONNECTION_FAILED' });
  });

  it('an unknown or malformed id is NOT_FOUND', async () => {
    expectError(await verify('987654'), 'NOT_FOUND', { noData: true });
    expectError(await verify('not-an-id'), 'NOT_FOUND', { noData: true });
  });

  it('R2: only support may verify: library-admin and service are FORBIDDEN, no token is UNAUTHENTICATED; nothing connects', async () => {
    const sink = await sinks.add(startSmtpSink());
    const server = await createServer(recorded, loopback(sink.port));
    const admin = await gw().token({ sub: 'admin-1', roles: ['library-admin'], libraries: [1, 2, 3] });

    expectError(await verify(server.id, admin), 'FORBIDDEN', { noData: true });
    expectError(await verify(server.id, gw().tokens.service), 'FORBIDDEN', { noData: true });
    expectError(await verify(server.id, gw().tokens.credentials), 'FORBIDDEN', { noData: true });
    expectError(await verify(server.id, null), 'UNAUTHENTICATED', { noData: true });
    expect(sink.connections()).toBe(0);
  });

  it('D12: a stored password corrupted with raw SQL: a clear AUTH_FAILED about the stored password, no connection, no crash', async () => {
    const sink = await sinks.add(startSmtpSink({ tls: 'starttls', pki, credentials: CREDENTIALS }));
    const server = await createServer(recorded, loopback(sink.port, { allowTls: true, requiresAuth: true, tlsCaPem: pki.caPem, ...CREDENTIALS }));
    const garbage = 'v1:0000deadbeef:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==:Q29ycnVwdGVk';
    const notSealed = 'Stored-As-Plain-Text-9e31';
    const [{ password: sealed }] = await gw().dataSource.query('SELECT password FROM smtp_server WHERE id = ?', [Number(server.id)]);
    expect(String(sealed)).toMatch(/^v1:/);

    for (const [stored, reason] of [
      [garbage, /sealed with key .* not configured/],
      [notSealed, /not in a known format/],
      // The genuine ciphertext with its last character changed: fails authentication (GCM tag).
      [`${sealed.slice(0, -1)}${sealed.endsWith('A') ? 'B' : 'A'}`, /does not decrypt/],
    ] as const) {
      await gw().dataSource.query('UPDATE smtp_server SET password = ? WHERE id = ?', [stored, Number(server.id)]);

      const result = await check(server.id);

      expect(result).toMatchObject({ ok: false, reachedStage: 'CONNECT', errorCode: 'AUTH_FAILED', server: { id: server.id, hasPassword: true } });
      expect(result.message).toMatch(/stored password/i);
      expect(result.message).toMatch(reason);
      expect(result.message).toMatch(/enter the password again/i);
      expect(result.message).not.toContain(stored);
    }
    expect(sink.connections()).toBe(0);
  });

  it('D12: a ciphertext copied from another server does not decrypt for this one (AUTH_FAILED), and its plaintext never shows', async () => {
    const sink = await sinks.add(startSmtpSink({ tls: 'starttls', pki, credentials: CREDENTIALS }));
    const donor = await createServer(recorded, loopback(sink.port, { allowTls: true, requiresAuth: true, tlsCaPem: pki.caPem, ...CREDENTIALS }));
    const target = await createServer(
      recorded,
      loopback(sink.port, { allowTls: true, requiresAuth: true, tlsCaPem: pki.caPem, username: USERNAME, password: WRONG_PASSWORD }),
    );
    const [{ password: donorSealed }] = await gw().dataSource.query('SELECT password FROM smtp_server WHERE id = ?', [Number(donor.id)]);
    await gw().dataSource.query('UPDATE smtp_server SET password = ? WHERE id = ?', [donorSealed, Number(target.id)]);

    const result = await check(target.id);

    expect(result).toMatchObject({ ok: false, reachedStage: 'CONNECT', errorCode: 'AUTH_FAILED' });
    expect(result.message).toMatch(/stored password.*does not decrypt/i);
    expect(result.message).not.toContain(donorSealed);
    expect(sink.connections()).toBe(0);
    // The donor itself still works.
    expect(await check(donor.id)).toMatchObject({ ok: true, reachedStage: 'DONE' });
  });

  it('D12: no password (plain or base64) ever appeared in a response body or in the server log', () => {
    expect(bodies.length).toBeGreaterThan(15);
    expectNoSecret(bodies.join('\n'));
    expect(gw().logLines.some((line) => line.includes('verified SMTP server'))).toBe(true);
    expectNoSecret(gw().logLines.join('\n'));
  });
});

describeEachDatabase(
  'verifySmtpServer is rate limited like test mails (TEST_MAIL_RATE_PER_MINUTE)',
  (gw) => {
    it('the third check of one identity within a minute is RATE_LIMITED and does not connect; another identity may still check', async () => {
      const sink = await sinks.add(startSmtpSink());
      const created = await gw().ok<{ createSmtpServer: { id: string } }>(CREATE_SMTP_SERVER, { input: { name: 'rate-limited', host: HOST, port: sink.port } });
      const id = created.createSmtpServer.id;

      expect((await gw().ok<{ verifySmtpServer: SmtpCheck }>(VERIFY_SMTP_SERVER, { id })).verifySmtpServer.ok).toBe(true);
      expect((await gw().ok<{ verifySmtpServer: SmtpCheck }>(VERIFY_SMTP_SERVER, { id })).verifySmtpServer.ok).toBe(true);
      const third = await gw().gql(VERIFY_SMTP_SERVER, { id });
      expectError(third, 'RATE_LIMITED', { noData: true });
      expect(sink.connections()).toBe(2);

      const other = await gw().token({ sub: 'support-2', roles: ['support'] });
      expect((await gw().ok<{ verifySmtpServer: SmtpCheck }>(VERIFY_SMTP_SERVER, { id }, other)).verifySmtpServer.ok).toBe(true);
    });
  },
  { testMailRatePerMinute: 2 },
);
