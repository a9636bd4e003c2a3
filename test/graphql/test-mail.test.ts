import { expectError } from '../support/expect-error';
import { describeEachDatabase, GraphQLResponse, startTestGateway, TestGateway } from '../support/gateway';
import { unique } from '../support/fixtures';
import {
  body,
  closedPort,
  createTestPki,
  header,
  headerCount,
  HOST,
  startSilentServer,
  startSmtpSink,
  TestServers,
  type SmtpSink,
  type TestPki,
} from '../transport/smtp-fixtures';
import { REBINDING, startAnsweringDns } from '../transport/answering-dns';

/**
 * sendTestMail over the real HTTP API on both databases, delivering to real SMTP servers
 * (smtp-server) started in this process on loopback, one per behaviour: R11 and D11 (the chain
 * is tried in order, failover after connection, TLS, timeout, authentication and 4xx failures,
 * stop after a permanent rejection), D9 (flags mapped to TLS/AUTH behaviour, private CA trusted
 * through tlsCaPem) and D12 (the password never appears in a response or the server log).
 */

const USERNAME = 'library-user';
const PASSWORD = 'Gql-Test-Pa55-4f1e9c7a';
const WRONG_PASSWORD = 'Gql-Wrong-Pa55-8b2d0713';
const CREDENTIALS = { username: USERNAME, password: PASSWORD };
const CA_NAME = 'Test Mail GraphQL CA';

/** Every form in which a password could leak: plain, and base64 as AUTH PLAIN / LOGIN send it. */
function secretForms(password: string): string[] {
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  return [password, b64(password), b64(`\u0000${USERNAME}\u0000${password}`), b64(`${USERNAME}\u0000${password}`)];
}
const SECRETS = [...secretForms(PASSWORD), ...secretForms(WRONG_PASSWORD)];

function expectNoSecret(text: string): void {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

const SEND = `mutation ($input: SendTestMailInput!) {
  sendTestMail(input: $input) {
    ok messageId recipient
    deliveredBy { id name }
    sender { address name formatted }
    attempts { server { id name } ok errorCode responseCode message durationMs }
    config { purpose servers { id name } problems { code severity } }
  }
}`;

const CREATE_SERVER = `mutation ($input: SmtpServerInput!) {
  createSmtpServer(input: $input) { id name hasPassword hasTlsCa tlsCaSubject nextServer { id } }
}`;
const CREATE_LIBRARY = `mutation ($input: LibraryInput!) { createLibrary(input: $input) { id code name shortName contactEmail } }`;
const CREATE_DEPARTMENT = `mutation ($input: DepartmentInput!) { createDepartment(input: $input) { id name } }`;

interface ServerRow {
  id: string;
  name: string;
  hasPassword: boolean;
  hasTlsCa: boolean;
  tlsCaSubject: string | null;
}
interface LibraryRow {
  id: string;
  code: string;
  name: string;
  shortName: string | null;
  contactEmail: string | null;
}
interface Attempt {
  server: { id: string; name: string };
  ok: boolean;
  errorCode: string | null;
  responseCode: number | null;
  message: string | null;
  durationMs: number;
}
interface TestMailResult {
  ok: boolean;
  messageId: string | null;
  recipient: string;
  deliveredBy: { id: string; name: string } | null;
  sender: { address: string; name: string | null; formatted: string } | null;
  attempts: Attempt[];
  config: { purpose: string; servers: Array<{ id: string; name: string }>; problems: Array<{ code: string; severity: string }> };
}

const sinks = new TestServers();
let pki: TestPki;

beforeAll(() => {
  pki = createTestPki(CA_NAME);
});

afterAll(() => sinks.closeAll());

/** Test-wide API helpers over one gateway; every response body is kept for the D12 check. */
function apiHelpers(gw: () => TestGateway, bodies: string[]) {
  async function gql<T = Record<string, any>>(query: string, variables: Record<string, unknown>, token?: string | null): Promise<GraphQLResponse<T>> {
    const result = await gw().gql<T>(query, variables, token === undefined ? gw().tokens.support : token);
    bodies.push(JSON.stringify(result));
    return result;
  }
  async function ok<T = Record<string, any>>(query: string, variables: Record<string, unknown>, token?: string | null): Promise<T> {
    const result = await gql<T>(query, variables, token);
    if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors, null, 2)}`);
    return result.data as T;
  }
  /**
   * Creates the servers of a chain, last first so each can name its next server; every one
   * points at 127.0.0.1 and the given port. Short timeouts keep a misbehaving case from hanging.
   */
  async function chain(...specs: Array<{ port: number } & Record<string, unknown>>): Promise<ServerRow[]> {
    const created: ServerRow[] = [];
    let nextServerId: string | null = null;
    for (const spec of [...specs].reverse()) {
      const { port, ...overrides } = spec;
      const input: Record<string, unknown> = { name: unique('smtp'), host: HOST, port, connectionTimeoutMs: 3000, timeoutMs: 5000, nextServerId, ...overrides };
      const row: ServerRow = (await ok<{ createSmtpServer: ServerRow }>(CREATE_SERVER, { input })).createSmtpServer;
      created.unshift(row);
      nextServerId = row.id;
    }
    return created;
  }
  async function library(server: ServerRow | null, overrides: Record<string, unknown> = {}): Promise<LibraryRow> {
    const code = unique('LIB');
    const input = {
      code,
      name: `Library ${code}`,
      shortName: `KNIH-${code}`,
      contactEmail: `${code.toLowerCase()}@library.example`,
      smtpServerId: server?.id ?? null,
      ...overrides,
    };
    return (await ok<{ createLibrary: LibraryRow }>(CREATE_LIBRARY, { input })).createLibrary;
  }
  async function department(lib: LibraryRow, overrides: Record<string, unknown> = {}): Promise<{ id: string; name: string }> {
    const input = { libraryId: lib.id, name: unique('Lending desk'), ...overrides };
    return (await ok<{ createDepartment: { id: string; name: string } }>(CREATE_DEPARTMENT, { input })).createDepartment;
  }
  async function send(input: Record<string, unknown>, token?: string | null): Promise<GraphQLResponse<{ sendTestMail: TestMailResult }>> {
    return gql<{ sendTestMail: TestMailResult }>(SEND, { input: { to: 'reader@example.net', ...input } }, token);
  }
  /** A sendTestMail that must come back as a result (ok or not), never as a GraphQL error. */
  async function sendResult(input: Record<string, unknown>, token?: string | null): Promise<TestMailResult> {
    const result = await send(input, token);
    expect(result.errors).toBeUndefined();
    return result.data!.sendTestMail;
  }
  return { gql, ok, chain, library, department, send, sendResult };
}

function summary(result: TestMailResult) {
  return result.attempts.map(({ server, ok, errorCode, responseCode }) => ({ server: server.name, ok, errorCode, responseCode }));
}

/** The one message a sink got, checked against the result that reported it. */
function expectReceived(sink: SmtpSink, result: TestMailResult, lib: LibraryRow, via: ServerRow) {
  expect(sink.received).toHaveLength(1);
  const [mail] = sink.received;
  expect(mail.mailFrom).toBe(lib.contactEmail);
  expect(mail.rcptTo).toEqual([result.recipient]);
  expect(header(mail.raw, 'From')).toBe(result.sender!.formatted);
  expect(header(mail.raw, 'Message-ID')).toBe(result.messageId);
  expect(body(mail.raw)).toContain(via.name);
  return mail;
}

describeEachDatabase('sendTestMail (R11, D9, D11, D12)', (gw) => {
  const bodies: string[] = [];
  const api = apiHelpers(gw, bodies);

  it('R11/D6: plain delivery carries the resolved sender, envelope, Message-ID and a description of library, department, purpose and server', async () => {
    const sink = await sinks.add(startSmtpSink());
    const [server] = await api.chain({ port: sink.port });
    const lib = await api.library(server);
    const dept = await api.department(lib);

    const result = await api.sendResult({ libraryId: lib.id, departmentId: dept.id, to: 'reader@example.net' });

    expect(result).toMatchObject({
      ok: true,
      recipient: 'reader@example.net',
      deliveredBy: { id: server.id, name: server.name },
      sender: { address: lib.contactEmail, name: lib.shortName, formatted: `"${lib.shortName}" <${lib.contactEmail}>` },
      config: { purpose: 'GENERAL', servers: [{ id: server.id }] },
    });
    expect(result.messageId).toMatch(/^<[^<>@\s]+@library\.example>$/);
    expect(result.attempts).toEqual([
      { server: { id: server.id, name: server.name }, ok: true, errorCode: null, responseCode: null, message: null, durationMs: expect.any(Number) },
    ]);

    const mail = expectReceived(sink, result, lib, server);
    expect(mail.mailFrom).toBe(result.sender!.address);
    expect(mail.rcptTo).toEqual(['reader@example.net']);
    expect(header(mail.raw, 'From')).toBe(`"${lib.shortName}" <${lib.contactEmail}>`);
    expect(headerCount(mail.raw, 'From')).toBe(1);
    expect(header(mail.raw, 'To')).toBe('reader@example.net');
    expect(header(mail.raw, 'Message-ID')).toBe(result.messageId);
    expect(headerCount(mail.raw, 'Message-ID')).toBe(1);
    expect(header(mail.raw, 'X-Mail-Purpose')).toBe('GENERAL');
    expect(header(mail.raw, 'Subject')).toContain(lib.name);
    const text = body(mail.raw);
    expect(text).toContain(lib.name);
    expect(text).toContain(lib.code);
    expect(text).toContain(dept.name);
    expect(text).toContain('GENERAL');
    expect(text).toContain(server.name);
    expect(mail.secure).toBe(false);
    expect(sink.connections()).toBe(1);
  });

  it('R6/D6: the purpose chosen is the one the message names, with the library contact e-mail as envelope sender', async () => {
    const sink = await sinks.add(startSmtpSink());
    const [server] = await api.chain({ port: sink.port });
    const lib = await api.library(server);

    const result = await api.sendResult({ libraryId: lib.id, purpose: 'INTERLIBRARY_LOAN', subject: 'ILL check', text: 'Hello from the ILL desk' });

    expect(result.ok).toBe(true);
    const mail = expectReceived(sink, result, lib, server);
    expect(header(mail.raw, 'Subject')).toBe('ILL check');
    expect(header(mail.raw, 'X-Mail-Purpose')).toBe('INTERLIBRARY_LOAN');
    expect(body(mail.raw)).toContain('INTERLIBRARY_LOAN');
    expect(body(mail.raw)).toContain('Hello from the ILL desk');
    expect(body(mail.raw)).toContain('(none)');
  });

  it('D9: STARTTLS required (allow TLS) and offered: the session is upgraded and the mail arrives encrypted', async () => {
    const sink = await sinks.add(startSmtpSink({ tls: 'starttls', pki }));
    const [server] = await api.chain({ port: sink.port, allowTls: true, tlsCaPem: pki.caPem });
    const lib = await api.library(server);

    const result = await api.sendResult({ libraryId: lib.id });

    expect(summary(result)).toEqual([{ server: server.name, ok: true, errorCode: null, responseCode: null }]);
    expect(expectReceived(sink, result, lib, server).secure).toBe(true);
    expect(sink.plaintextFromClients()).toMatch(/^STARTTLS\r$/m);
    expect(sink.plaintextFromClients()).not.toMatch(/^(MAIL|RCPT|DATA)/m);
  });

  it('D9/D11: STARTTLS required but not offered: TLS_FAILED, the password never reached the server, the next server delivers', async () => {
    const noTls = await sinks.add(startSmtpSink({ credentials: CREDENTIALS }));
    const next = await sinks.add(startSmtpSink());
    const [first, second] = await api.chain({ port: noTls.port, allowTls: true, requiresAuth: true, ...CREDENTIALS }, { port: next.port });
    expect(first.hasPassword).toBe(true);
    const lib = await api.library(first);

    const result = await api.sendResult({ libraryId: lib.id });

    expect(result.ok).toBe(true);
    // Required TLS makes the client try STARTTLS even when it is not advertised; this server
    // does not know the command and answers 500.
    expect(summary(result)).toEqual([
      { server: first.name, ok: false, errorCode: 'TLS_FAILED', responseCode: 500 },
      { server: second.name, ok: true, errorCode: null, responseCode: null },
    ]);
    expect(result.attempts[0].message).toMatch(/STARTTLS/);
    expect(result.deliveredBy).toEqual({ id: second.id, name: second.name });
    expect(noTls.received).toEqual([]);
    expect(noTls.authAttempts).toEqual([]);
    expect(noTls.plaintextFromClients()).not.toMatch(/^AUTH/m);
    expectNoSecret(noTls.plaintextFromClients());
    expectReceived(next, result, lib, second);
  });

  it('D9: implicit TLS (allow SSL) with a certificate of a test CA trusted through tlsCaPem, authenticated inside TLS', async () => {
    const sink = await sinks.add(startSmtpSink({ tls: 'implicit', pki, credentials: CREDENTIALS }));
    const [server] = await api.chain({ port: sink.port, allowSsl: true, requiresAuth: true, tlsCaPem: pki.caPem, ...CREDENTIALS });
    expect(server).toMatchObject({ hasTlsCa: true, tlsCaSubject: CA_NAME });
    const lib = await api.library(server);

    const result = await api.sendResult({ libraryId: lib.id });

    expect(summary(result)).toEqual([{ server: server.name, ok: true, errorCode: null, responseCode: null }]);
    expect(expectReceived(sink, result, lib, server)).toMatchObject({ secure: true, user: USERNAME });
    expect(sink.authAttempts).toEqual([{ method: 'PLAIN', username: USERNAME, accepted: true }]);
    // Implicit TLS: nothing at all crossed the wire in plaintext, so not the password either.
    expect(sink.plaintextFromClients()).not.toMatch(/EHLO|AUTH/);
  });

  it('D9/D11: implicit TLS without the CA: TLS_FAILED (certificate checks stay on), the next server delivers', async () => {
    const tlsSink = await sinks.add(startSmtpSink({ tls: 'implicit', pki, credentials: CREDENTIALS }));
    const next = await sinks.add(startSmtpSink());
    const [first, second] = await api.chain({ port: tlsSink.port, allowSsl: true, requiresAuth: true, ...CREDENTIALS }, { port: next.port });
    expect(first).toMatchObject({ hasTlsCa: false, tlsCaSubject: null });
    const lib = await api.library(first);

    const result = await api.sendResult({ libraryId: lib.id });

    expect(summary(result)).toEqual([
      { server: first.name, ok: false, errorCode: 'TLS_FAILED', responseCode: null },
      { server: second.name, ok: true, errorCode: null, responseCode: null },
    ]);
    expect(result.attempts[0].message).toMatch(/certificate/i);
    expect(tlsSink.received).toEqual([]);
    expect(tlsSink.authAttempts).toEqual([]);
    expectReceived(next, result, lib, second);
  });

  it('D9: AUTH accepted: the mail is sent as the configured user over STARTTLS', async () => {
    const sink = await sinks.add(startSmtpSink({ tls: 'starttls', pki, credentials: CREDENTIALS }));
    const [server] = await api.chain({ port: sink.port, allowTls: true, requiresAuth: true, tlsCaPem: pki.caPem, ...CREDENTIALS });
    const lib = await api.library(server);

    const result = await api.sendResult({ libraryId: lib.id });

    expect(result.ok).toBe(true);
    expect(expectReceived(sink, result, lib, server)).toMatchObject({ secure: true, user: USERNAME });
    expect(sink.authAttempts).toEqual([{ method: 'PLAIN', username: USERNAME, accepted: true }]);
    expectNoSecret(sink.plaintextFromClients());
  });

  it('D11: AUTH refused: AUTH_FAILED with 535 and a message without the password, then the next server delivers', async () => {
    const refusing = await sinks.add(startSmtpSink({ tls: 'starttls', pki, credentials: CREDENTIALS }));
    const next = await sinks.add(startSmtpSink());
    const [first, second] = await api.chain(
      { port: refusing.port, allowTls: true, requiresAuth: true, tlsCaPem: pki.caPem, username: USERNAME, password: WRONG_PASSWORD },
      { port: next.port },
    );
    const lib = await api.library(first);

    const result = await api.sendResult({ libraryId: lib.id });

    expect(summary(result)).toEqual([
      { server: first.name, ok: false, errorCode: 'AUTH_FAILED', responseCode: 535 },
      { server: second.name, ok: true, errorCode: null, responseCode: null },
    ]);
    expect(refusing.authAttempts).toEqual([{ method: 'PLAIN', username: USERNAME, accepted: false }]);
    expect(refusing.received).toEqual([]);
    expectNoSecret(result.attempts[0].message ?? '');
    expectReceived(next, result, lib, second);
  });

  it('D9/D11: AUTH required but not offered: AUTH_FAILED, no credentials and no mail sent, then the next server delivers', async () => {
    const noAuth = await sinks.add(startSmtpSink());
    const next = await sinks.add(startSmtpSink());
    const [first, second] = await api.chain({ port: noAuth.port, requiresAuth: true, ...CREDENTIALS }, { port: next.port });
    const lib = await api.library(first);

    const result = await api.sendResult({ libraryId: lib.id });

    expect(summary(result)).toEqual([
      { server: first.name, ok: false, errorCode: 'AUTH_FAILED', responseCode: null },
      { server: second.name, ok: true, errorCode: null, responseCode: null },
    ]);
    expect(result.attempts[0].message).toMatch(/does not offer AUTH/);
    expect(noAuth.received).toEqual([]);
    expect(noAuth.plaintextFromClients()).not.toMatch(/^(AUTH|MAIL|RCPT|DATA)/m);
    expectNoSecret(noAuth.plaintextFromClients());
    expectReceived(next, result, lib, second);
  });

  it('D11: a port where nothing listens: CONNECTION_FAILED, then the next server delivers', async () => {
    const port = await closedPort();
    const next = await sinks.add(startSmtpSink());
    const [first, second] = await api.chain({ port }, { port: next.port });
    const lib = await api.library(first);

    const result = await api.sendResult({ libraryId: lib.id });

    expect(summary(result)).toEqual([
      { server: first.name, ok: false, errorCode: 'CONNECTION_FAILED', responseCode: null },
      { server: second.name, ok: true, errorCode: null, responseCode: null },
    ]);
    expect(result.attempts[0].message).toMatch(/ECONNREFUSED/);
    expectReceived(next, result, lib, second);
  });

  it('D9/D11: a server that accepts and never greets: TIMEOUT within connectionTimeoutMs, then the next server delivers', async () => {
    const silent = await sinks.add(startSilentServer());
    const next = await sinks.add(startSmtpSink());
    const [first, second] = await api.chain({ port: silent.port, connectionTimeoutMs: 400 }, { port: next.port });
    const lib = await api.library(first);

    const result = await api.sendResult({ libraryId: lib.id });

    expect(summary(result)).toEqual([
      { server: first.name, ok: false, errorCode: 'TIMEOUT', responseCode: null },
      { server: second.name, ok: true, errorCode: null, responseCode: null },
    ]);
    const { durationMs } = result.attempts[0];
    console.log(`[${gw().kind}] sendTestMail, no greeting, connectionTimeoutMs 400: TIMEOUT after durationMs=${durationMs}`);
    // Bounded by the configured 400 ms, not by a default (3000 ms on the other servers here, 30 s in nodemailer).
    expect(durationMs).toBeGreaterThanOrEqual(350);
    expect(durationMs).toBeLessThan(2500);
    expect(silent.connections()).toBe(1);
    expectReceived(next, result, lib, second);
  });

  it('D11: 421 on connect is temporary: CONNECTION_FAILED with 421, then the next server delivers', async () => {
    const busy = await sinks.add(startSmtpSink({ rejectConnect: { code: 421, message: 'Too busy, try later' } }));
    const next = await sinks.add(startSmtpSink());
    const [first, second] = await api.chain({ port: busy.port }, { port: next.port });
    const lib = await api.library(first);

    const result = await api.sendResult({ libraryId: lib.id });

    expect(summary(result)).toEqual([
      { server: first.name, ok: false, errorCode: 'CONNECTION_FAILED', responseCode: 421 },
      { server: second.name, ok: true, errorCode: null, responseCode: null },
    ]);
    expect(busy.received).toEqual([]);
    expectReceived(next, result, lib, second);
  });

  it('D11: 550 on RCPT: RECIPIENT_REJECTED, no failover, the next server received nothing; a result with ok:false, not an error', async () => {
    const rejecting = await sinks.add(startSmtpSink({ rejectRcptTo: { code: 550, message: 'No such user here' } }));
    const next = await sinks.add(startSmtpSink());
    const [first] = await api.chain({ port: rejecting.port }, { port: next.port });
    const lib = await api.library(first);

    const response = await api.send({ libraryId: lib.id, to: 'nobody@example.net' });

    expect(response.errors).toBeUndefined();
    const result = response.data!.sendTestMail;
    expect(result).toMatchObject({ ok: false, messageId: null, deliveredBy: null, recipient: 'nobody@example.net' });
    expect(result.config.servers).toHaveLength(2);
    expect(summary(result)).toEqual([{ server: first.name, ok: false, errorCode: 'RECIPIENT_REJECTED', responseCode: 550 }]);
    expect(result.attempts[0].message).toContain('No such user here');
    expect(rejecting.received).toEqual([]);
    expect(next.connections()).toBe(0);
    expect(next.received).toEqual([]);
  });

  it('D11: no verdict after the message body was sent: TIMEOUT, and the message is not resent through the next server', async () => {
    const hanging = await sinks.add(startSmtpSink({ hangAfterData: true }));
    const next = await sinks.add(startSmtpSink());
    const [first] = await api.chain({ port: hanging.port, timeoutMs: 400 }, { port: next.port });
    const lib = await api.library(first);

    const result = await api.sendResult({ libraryId: lib.id });

    expect(result).toMatchObject({ ok: false, deliveredBy: null });
    expect(summary(result)).toEqual([{ server: first.name, ok: false, errorCode: 'TIMEOUT', responseCode: null }]);
    expect(result.attempts[0].message).toMatch(/not retried/);
    console.log(`[${gw().kind}] sendTestMail, no reply after DATA, timeoutMs 400: TIMEOUT after durationMs=${result.attempts[0].durationMs}`);
    expect(next.connections()).toBe(0);
  });

  it('R11/D11: a chain of three where the first two fail: every attempt in order, with server names; the third delivers', async () => {
    const port = await closedPort();
    const refusing = await sinks.add(startSmtpSink({ tls: 'starttls', pki, credentials: CREDENTIALS }));
    const third = await sinks.add(startSmtpSink());
    const chain = await api.chain(
      { port },
      { port: refusing.port, allowTls: true, requiresAuth: true, tlsCaPem: pki.caPem, username: USERNAME, password: WRONG_PASSWORD },
      { port: third.port },
    );
    const lib = await api.library(chain[0]);

    const result = await api.sendResult({ libraryId: lib.id });

    expect(result.config.servers.map((s) => s.name)).toEqual(chain.map((s) => s.name));
    expect(summary(result)).toEqual([
      { server: chain[0].name, ok: false, errorCode: 'CONNECTION_FAILED', responseCode: null },
      { server: chain[1].name, ok: false, errorCode: 'AUTH_FAILED', responseCode: 535 },
      { server: chain[2].name, ok: true, errorCode: null, responseCode: null },
    ]);
    expect(result).toMatchObject({ ok: true, deliveredBy: { id: chain[2].id, name: chain[2].name } });
    for (const attempt of result.attempts) expect(attempt.durationMs).toBeGreaterThanOrEqual(0);
    const mail = expectReceived(third, result, lib, chain[2]);
    // The text names the server that actually sent it.
    expect(body(mail.raw)).not.toContain(`${chain[0].name} (`);
    expect(refusing.received).toEqual([]);
  });

  it('R11: when every server fails the result is ok:false with every attempt, not a GraphQL error', async () => {
    const port = await closedPort();
    const busy = await sinks.add(startSmtpSink({ rejectConnect: { code: 421, message: 'Too busy' } }));
    const chain = await api.chain({ port }, { port: busy.port });
    const lib = await api.library(chain[0]);

    const result = await api.sendResult({ libraryId: lib.id });

    expect(result).toMatchObject({ ok: false, messageId: null, deliveredBy: null, sender: { address: lib.contactEmail } });
    expect(summary(result)).toEqual([
      { server: chain[0].name, ok: false, errorCode: 'CONNECTION_FAILED', responseCode: null },
      { server: chain[1].name, ok: false, errorCode: 'CONNECTION_FAILED', responseCode: 421 },
    ]);
  });

  it('D12: a stored password corrupted in the database: AUTH_FAILED about the stored password without connecting, then the next server delivers', async () => {
    const sink = await sinks.add(startSmtpSink({ tls: 'starttls', pki, credentials: CREDENTIALS }));
    const next = await sinks.add(startSmtpSink());
    const [first, second] = await api.chain({ port: sink.port, allowTls: true, requiresAuth: true, tlsCaPem: pki.caPem, ...CREDENTIALS }, { port: next.port });
    const corrupted = 'v1:0000deadbeef:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==:Q29ycnVwdGVk';
    await gw().dataSource.query('UPDATE smtp_server SET password = ? WHERE id = ?', [corrupted, Number(first.id)]);
    const lib = await api.library(first);

    const result = await api.sendResult({ libraryId: lib.id });

    expect(summary(result)).toEqual([
      { server: first.name, ok: false, errorCode: 'AUTH_FAILED', responseCode: null },
      { server: second.name, ok: true, errorCode: null, responseCode: null },
    ]);
    expect(result.attempts[0].message).toMatch(/stored password/i);
    expect(result.attempts[0].message).not.toContain(corrupted);
    expect(sink.connections()).toBe(0);
    expectReceived(next, result, lib, second);
  });

  it('D10: `to` that is not a valid address is BAD_USER_INPUT on field `to`, and nothing is sent', async () => {
    const sink = await sinks.add(startSmtpSink());
    const [server] = await api.chain({ port: sink.port });
    const lib = await api.library(server);

    for (const to of ['not-an-address', 'reader@example.net\r\nBcc: victim@example.org', '']) {
      const result = await api.send({ libraryId: lib.id, to });
      expectError(result, 'BAD_USER_INPUT', { field: 'to' });
      expect(result.data).toBeNull();
    }
    expect(sink.connections()).toBe(0);
  });

  it('D6/D8: a configuration with an ERROR problem (no sender) is BAD_USER_INPUT naming the problem, and nothing is sent', async () => {
    const sink = await sinks.add(startSmtpSink());
    const [server] = await api.chain({ port: sink.port });
    const lib = await api.library(server, { contactEmail: null });

    const result = await api.send({ libraryId: lib.id });

    expectError(result, 'BAD_USER_INPUT', { field: 'libraryId' });
    expect(result.errors![0].message).toContain('NO_SENDER');
    expect(sink.connections()).toBe(0);
  });

  it('D8: requires authentication without a password (AUTH_WITHOUT_CREDENTIALS) is refused before sending', async () => {
    const sink = await sinks.add(startSmtpSink());
    const [server] = await api.chain({ port: sink.port, requiresAuth: true, username: USERNAME });
    const lib = await api.library(server);

    const result = await api.send({ libraryId: lib.id });

    expectError(result, 'BAD_USER_INPUT');
    expect(result.errors![0].message).toContain('AUTH_WITHOUT_CREDENTIALS');
    expect(sink.connections()).toBe(0);
  });

  it('roles: support and a library-admin of the library may send; a foreign library-admin and service are FORBIDDEN; no token is UNAUTHENTICATED', async () => {
    const sink = await sinks.add(startSmtpSink());
    const [server] = await api.chain({ port: sink.port });
    const own = await api.library(server);
    const foreign = await api.library(server);
    const admin = await gw().token({ sub: 'admin-own', roles: ['library-admin'], libraries: [Number(own.id)] });

    expect((await api.sendResult({ libraryId: own.id }, gw().tokens.support)).ok).toBe(true);
    expect((await api.sendResult({ libraryId: own.id }, admin)).ok).toBe(true);
    expect(sink.received).toHaveLength(2);

    expectError(await api.send({ libraryId: foreign.id }, admin), 'FORBIDDEN');
    expectError(await api.send({ libraryId: own.id }, gw().tokens.service), 'FORBIDDEN');
    expectError(await api.send({ libraryId: own.id }, gw().tokens.credentials), 'FORBIDDEN');
    expectError(await api.send({ libraryId: own.id }, null), 'UNAUTHENTICATED');
    expectError(await api.send({ libraryId: own.id }, 'not-a-jwt'), 'UNAUTHENTICATED');
    expect(sink.received).toHaveLength(2);
    expect(sink.connections()).toBe(2);
  });

  it('unknown library: NOT_FOUND, nothing sent', async () => {
    expectError(await api.send({ libraryId: '987654' }), 'NOT_FOUND');
  });

  it('D12: no password (plain or base64) ever appeared in a response body or in the server log', () => {
    expect(bodies.length).toBeGreaterThan(20);
    expectNoSecret(bodies.join('\n'));
    expect(gw().logLines.length).toBeGreaterThan(0);
    expect(gw().logLines.some((line) => line.includes('test mail attempt'))).toBe(true);
    expectNoSecret(gw().logLines.join('\n'));
  });
});

describe('sendTestMail rate limit (TEST_MAIL_RATE_PER_MINUTE)', () => {
  let gw: TestGateway;
  const bodies: string[] = [];

  beforeAll(async () => {
    gw = await startTestGateway('sqlite', { testMailRatePerMinute: 2 });
  });
  afterAll(() => gw?.close());

  it('the third test mail of one identity within a minute is RATE_LIMITED; another identity may still send', async () => {
    const api = apiHelpers(() => gw, bodies);
    const sink = await sinks.add(startSmtpSink());
    const [server] = await api.chain({ port: sink.port });
    const lib = await api.library(server);

    expect((await api.sendResult({ libraryId: lib.id })).ok).toBe(true);
    expect((await api.sendResult({ libraryId: lib.id })).ok).toBe(true);
    const third = await api.send({ libraryId: lib.id });
    expectError(third, 'RATE_LIMITED');
    expect(third.errors![0].extensions?.retryAfterMs).toBeGreaterThan(0);
    expect(sink.received).toHaveLength(2);

    const other = await gw.token({ sub: 'support-2', roles: ['support'] });
    expect((await api.sendResult({ libraryId: lib.id }, other)).ok).toBe(true);
    expect(sink.received).toHaveLength(3);
  });
});

const ALIASED_PAIR = `mutation ($input: SendTestMailInput!) {
  first: sendTestMail(input: $input) { ok }
  second: sendTestMail(input: $input) { ok }
}`;
const MAIL_AND_CHECK = `mutation ($input: SendTestMailInput!, $id: ID!) {
  sendTestMail(input: $input) { ok }
  verifySmtpServer(id: $id) { ok }
}`;
const THROUGH_FRAGMENT = `mutation ($input: SendTestMailInput!) {
  sendTestMail(input: $input) { ok }
  ...again
}
fragment again on Mutation { again: sendTestMail(input: $input) { ok } }`;

describeEachDatabase('one test mail or server check per operation (aliased sendTestMail)', (gw) => {
  const bodies: string[] = [];
  const api = apiHelpers(gw, bodies);

  it.each([
    ['two aliased sendTestMail', ALIASED_PAIR],
    ['sendTestMail and verifySmtpServer', MAIL_AND_CHECK],
    ['a second sendTestMail through a fragment', THROUGH_FRAGMENT],
  ])('%s: BAD_USER_INPUT before execution, nothing sent (no connection at all)', async (_title, query) => {
    const sink = await sinks.add(startSmtpSink());
    const [server] = await api.chain({ port: sink.port });
    const lib = await api.library(server);

    const result = await api.gql(query, { input: { libraryId: lib.id, to: 'reader@example.net' }, id: server.id });

    expectError(result, 'BAD_USER_INPUT');
    expect(result.errors![0].message).toMatch(/At most one sendTestMail or verifySmtpServer per operation; nothing was sent/);
    expect(result.data ?? null).toBeNull();
    expect(sink.connections()).toBe(0);
    expect(sink.received).toHaveLength(0);
  });

  it('one sendTestMail alone still goes out, with the reply code and enhanced status of a refusal', async () => {
    const refusing = await sinks.add(startSmtpSink({ rejectRcptTo: { code: 550, message: '5.1.1 No such user' } }));
    const [server] = await api.chain({ port: refusing.port });
    const lib = await api.library(server);

    const result = await api.ok<{ sendTestMail: { attempts: Array<Record<string, unknown>> } }>(
      `mutation ($input: SendTestMailInput!) { sendTestMail(input: $input) { attempts { errorCode responseCode enhancedStatus message } } }`,
      { input: { libraryId: lib.id, to: 'reader@example.net' } },
    );
    expect(result.sendTestMail.attempts).toEqual([
      { errorCode: 'RECIPIENT_REJECTED', responseCode: 550, enhancedStatus: '5.1.1', message: 'RCPT TO: 550 5.1.1 No such user' },
    ]);
  });
});

const rebindingDns: { servers: string[]; close?: () => Promise<void> } = { servers: [] };

beforeAll(async () => {
  const dns = await startAnsweringDns(REBINDING);
  rebindingDns.servers.push(dns.address);
  rebindingDns.close = () => dns.close();
});
afterAll(() => rebindingDns.close?.());

describeEachDatabase(
  'DNS rebinding through the gateway (SMTP_DNS_SERVERS)',
  (gw) => {
    const bodies: string[] = [];
    const api = apiHelpers(gw, bodies);

    it('a name answering 127.0.0.1 and 169.254.169.254 in turn (TTL 0): every test mail is delivered to loopback or refused, none goes elsewhere', async () => {
      const sink = await sinks.add(startSmtpSink());
      const [server] = await api.chain({ port: sink.port, host: 'smtp.rebind.test' });
      const lib = await api.library(server);

      const outcomes: string[] = [];
      for (let i = 0; i < 4; i += 1) {
        const result = await api.sendResult({ libraryId: lib.id });
        outcomes.push(result.ok ? 'DELIVERED' : `${result.attempts[0].errorCode}: ${result.attempts[0].message}`);
      }
      const refused =
        'CONNECTION_FAILED: host resolves to an address that is a link-local address (169.254.0.0/16, fe80::/10), which is never an SMTP server; refusing to connect';
      expect(outcomes.sort()).toEqual(['DELIVERED', 'DELIVERED', refused, refused].sort());
      expect(sink.received).toHaveLength(2);
      expect(sink.connections()).toBe(2);
    });
  },
  { smtpDnsServers: rebindingDns.servers },
);
