import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mysqlAvailable, TEST_JWT_SECRET, TEST_MAIL_CONFIG_KEY } from '../support/gateway';
import { MYSQL_URL, withServerConnection } from '../support/mysql';
import { freePort } from '../support/private-mariadb';
import {
  CREATE_LIBRARY,
  CREATE_SERVER,
  EFFECTIVE,
  GatewayProcess,
  metricValue,
  postGraphQL,
  spawnGateway,
  supportToken,
  UPDATE_LIBRARY,
  waitFor,
  within,
} from './helpers';

/**
 * Issue 7, points 4 and 5, with the gateway as a real process (src/main.ts): two processes on one
 * MariaDB database, structured logs, /healthz and /metrics, and graceful shutdown on SIGTERM.
 */
const CANARY_PASSWORD = `Canary-P4ss-${randomBytes(6).toString('hex')}`;
const SHUTDOWN_LIMIT_MS = 10_000;

let dir: string;
let sqliteGateway: GatewayProcess | null = null;
const processes: GatewayProcess[] = [];
let token: string;

// Part (a): two processes on one fresh MariaDB database.
const MYSQL_REFRESH_MS = 300;
const mysqlDatabase = `mcg_ops_${process.pid}_${randomBytes(4).toString('hex')}`;
let mysqlCreated = false;
let first: GatewayProcess;
let second: GatewayProcess;

async function startMysqlPair(): Promise<void> {
  await withServerConnection((c) => c.query(`CREATE DATABASE \`${mysqlDatabase}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`));
  mysqlCreated = true;
  const url = new URL(MYSQL_URL);
  url.pathname = `/${mysqlDatabase}`;
  const env = { DATABASE_URL: url.toString(), CONFIG_REFRESH_MS: String(MYSQL_REFRESH_MS) };
  // The first one applies the migrations to the empty database; the second finds them applied.
  first = await spawnGateway('mysql-1', await freePort(), env);
  processes.push(first);
  second = await spawnGateway('mysql-2', await freePort(), env);
  processes.push(second);
}

// An "SMTP server" that accepts connections and never says a word.
let silent: Server;
let silentPort = 0;
const silentSockets = new Set<Socket>();
let silentConnections = 0;

function jsonLines(text: string): Array<Record<string, any>> {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, any>;
      } catch {
        throw new Error(`stdout line is not JSON: ${line}`);
      }
    });
}

/** Sends SIGTERM and resolves with the exit and how long it took. */
async function terminate(proc: GatewayProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
  const sent = Date.now();
  proc.child.kill('SIGTERM');
  const exit = await within(proc.exited, SHUTDOWN_LIMIT_MS + 2000);
  if (!exit) {
    await proc.kill();
    throw new Error(`${proc.name} did not exit within ${SHUTDOWN_LIMIT_MS + 2000} ms of SIGTERM`);
  }
  return { code: exit.code, signal: exit.signal, ms: exit.at - sent };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mcg-proc-'));
  token = await supportToken('ops-process');
  silent = createServer((socket) => {
    silentConnections += 1;
    silentSockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => silentSockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as { port: number }).port;
  // Start-up takes seconds (ts-node), so the SQLite process and the MariaDB pair start together.
  const startSqlite = async () => {
    sqliteGateway = await spawnGateway('sqlite', await freePort(), { DATABASE_URL: `sqlite:${join(dir, 'gateway.sqlite')}`, CONFIG_REFRESH_MS: '1000' });
    processes.push(sqliteGateway);
  };
  await Promise.all([startSqlite(), mysqlAvailable() ? startMysqlPair() : Promise.resolve()]);
  console.log(`gateway process start-up (spawn to /healthz 200): ${processes.map((p) => `${p.name} ${p.startupMs} ms`).join(', ')}`);
}, 90_000);

afterAll(async () => {
  for (const proc of processes) await proc.kill();
  for (const socket of silentSockets) socket.destroy();
  await new Promise<void>((resolve) => silent?.close(() => resolve()));
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (mysqlCreated) await withServerConnection((c) => c.query(`DROP DATABASE IF EXISTS \`${mysqlDatabase}\``));
}, 30_000);

const describeMysql = mysqlAvailable() ? describe : describe.skip;

describeMysql('issue 7: two gateway processes on one MariaDB database [mysql]', () => {
  const REFRESH_MS = MYSQL_REFRESH_MS;
  const MARGIN_MS = 1200;

  it('issue 7: the first process applies the migrations, the second starts on them; both are ready', async () => {
    await waitFor('the migration log line', async () => (first.stdout().includes('"msg":"applied migrations"') ? true : undefined), 2000);
    expect(second.stdout()).not.toContain('"msg":"applied migrations"');
    for (const proc of [first, second]) {
      const response = await fetch(`${proc.url}/readyz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ database: 'ok', migrations: 'ok', snapshot: 'ok' });
    }
  });

  it(`issue 7: a write through one process is read through the other within CONFIG_REFRESH_MS (${REFRESH_MS} ms) plus a margin`, async () => {
    const gql = (proc: GatewayProcess, query: string, variables: Record<string, unknown>) => postGraphQL<any>(proc.url, query, variables, token);
    const created = await gql(first, CREATE_SERVER, { input: { name: 'Process primary', host: 'process-primary.example.org', port: 587 } });
    expect(created.errors).toBeUndefined();
    const other = await gql(first, CREATE_SERVER, { input: { name: 'Process other', host: 'process-other.example.org', port: 587 } });
    const library = await gql(first, CREATE_LIBRARY, {
      input: { code: 'PROC', name: 'Process Library', contactEmail: 'info@process.example.org', smtpServerId: created.data.createSmtpServer.id },
    });
    expect(library.errors).toBeUndefined();
    const libraryId = library.data.createLibrary.id;
    const written = Date.now();
    const seen = await waitFor(
      'the new library on the second process',
      async () => {
        const result = await gql(second, EFFECTIVE, { libraryId });
        return result.data?.effectiveMailConfig ?? undefined;
      },
      3000,
      20,
    );
    const createDelay = Date.now() - written;
    expect(seen.value.servers.map((s: any) => s.name)).toEqual(['Process primary']);
    expect(seen.value.stale).toBe(false);

    const updated = await gql(first, UPDATE_LIBRARY, { id: libraryId, input: { smtpServerId: other.data.createSmtpServer.id } });
    expect(updated.errors).toBeUndefined();
    const changed = Date.now();
    await waitFor(
      'the changed server on the second process',
      async () => {
        const result = await gql(second, EFFECTIVE, { libraryId });
        return result.data?.effectiveMailConfig.servers[0]?.name === 'Process other' ? true : undefined;
      },
      3000,
      20,
    );
    const updateDelay = Date.now() - changed;
    console.log(`two processes, CONFIG_REFRESH_MS ${REFRESH_MS}: create visible on the other after ${createDelay} ms, update after ${updateDelay} ms`);
    expect(createDelay).toBeLessThan(REFRESH_MS + MARGIN_MS);
    expect(updateDelay).toBeLessThan(REFRESH_MS + MARGIN_MS);
    // The writer itself sees its write at once.
    const own = await gql(first, EFFECTIVE, { libraryId });
    expect(own.data.effectiveMailConfig.servers.map((s: any) => s.name)).toEqual(['Process other']);
  });

  it('issue 7: SIGTERM stops both MariaDB-backed processes with exit code 0 within 10 s, closing the database', async () => {
    const [one, two] = await Promise.all([terminate(first), terminate(second)]);
    console.log(`SIGTERM to exit with MariaDB: ${one.ms} ms and ${two.ms} ms`);
    for (const [exit, proc] of [
      [one, first],
      [two, second],
    ] as const) {
      expect({ name: proc.name, code: exit.code, signal: exit.signal }).toEqual({ name: proc.name, code: 0, signal: null });
      expect(exit.ms).toBeLessThan(SHUTDOWN_LIMIT_MS);
      expect(proc.stdout()).toContain('"msg":"stopped"');
    }
  }, 30_000);
});

describe('issue 7: one gateway process: logs, health, metrics and graceful shutdown [sqlite]', () => {
  const ids: Record<string, string> = {};
  let refusedPort = 0;

  const gql = (query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    postGraphQL<any>(sqliteGateway!.url, query, variables, token, headers);

  beforeAll(async () => {
    // Nothing listens here: a test mail through it fails at once with CONNECTION_FAILED.
    refusedPort = await freePort();
  });

  it('issue 7: stdout is JSON lines with level/time/msg; each request line carries the x-request-id of its response', async () => {
    const own = 'ops-request-0001';
    const mine = await gql('query OpsLibraries { libraries { code } }', {}, { 'x-request-id': own });
    expect(mine.status).toBe(200);
    expect(mine.headers.get('x-request-id')).toBe(own);

    const generated = await gql('query OpsLibraries { libraries { code } }');
    const generatedId = generated.headers.get('x-request-id');
    expect(generatedId).toMatch(/^[0-9a-f-]{36}$/);

    // An id that could forge log lines is replaced, not echoed.
    const hostile = await gql('query OpsLibraries { libraries { code } }', {}, { 'x-request-id': 'bad id"} {"level":60' });
    const hostileId = hostile.headers.get('x-request-id');
    expect(hostileId).not.toContain('bad id');

    const healthz = await fetch(`${sqliteGateway!.url}/readyz`, { headers: { 'x-request-id': 'ops-readyz-0001' } });
    expect(healthz.headers.get('x-request-id')).toBe('ops-readyz-0001');

    for (const id of [own, generatedId!, hostileId!, 'ops-readyz-0001']) {
      const line = await waitFor(
        `the log line of request ${id}`,
        async () => {
          return jsonLines(sqliteGateway!.stdout()).find((l) => l.requestId === id && l.msg === 'request');
        },
        3000,
      );
      expect(line.value).toMatchObject({ requestId: id, status: 200 });
      expect(typeof line.value.durationMs).toBe('number');
      expect(['/graphql', '/readyz']).toContain(line.value.path);
    }
    const lines = jsonLines(sqliteGateway!.stdout());
    expect(lines.length).toBeGreaterThan(4);
    for (const line of lines) {
      expect(typeof line.level).toBe('number');
      expect(typeof line.msg).toBe('string');
      expect(new Date(line.time).toISOString()).toBe(line.time);
    }
  });

  it('issue 7: a password sent in mutations is never written to stdout or stderr', async () => {
    const created = await gql(`mutation OpsCreateServer($input: SmtpServerInput!) { createSmtpServer(input: $input) { id } }`, {
      input: { name: 'Refusing relay', host: '127.0.0.1', port: refusedPort, username: 'relay-user', password: CANARY_PASSWORD, connectionTimeoutMs: 1500 },
    });
    expect(created.errors).toBeUndefined();
    ids.refusing = created.data.createSmtpServer.id;
    // Rejected inputs carrying the password, in variables and inline.
    const invalid = await gql(`mutation OpsBadServer($input: SmtpServerInput!) { createSmtpServer(input: $input) { id } }`, {
      input: { name: 'Bad', host: 'bad host name!', port: 25, password: CANARY_PASSWORD },
    });
    expect(invalid.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const coercion = await gql(`mutation OpsBadPort($input: SmtpServerInput!) { createSmtpServer(input: $input) { id } }`, {
      input: { name: 'Bad', host: 'ok.example.org', port: `${CANARY_PASSWORD}`, password: CANARY_PASSWORD },
    });
    expect(coercion.errors?.length).toBeGreaterThan(0);
    const inline = await gql(`mutation OpsInline { updateSmtpServer(id: "${ids.refusing}", input: { password: "${CANARY_PASSWORD}", port: -1 }) { id } }`);
    expect(inline.errors?.length).toBeGreaterThan(0);
    const updated = await gql(`mutation OpsUpdateServer($id: ID!, $input: SmtpServerUpdateInput!) { updateSmtpServer(id: $id, input: $input) { id } }`, {
      id: ids.refusing,
      input: { password: CANARY_PASSWORD },
    });
    expect(updated.errors).toBeUndefined();
    // The final check, over everything the process printed in its life, runs after shutdown below.
    await waitFor(
      'the log lines of these requests',
      async () => (jsonLines(sqliteGateway!.stdout()).filter((l) => l.path === '/graphql').length >= 8 ? true : undefined),
      3000,
    );
    expect(sqliteGateway!.stdout() + sqliteGateway!.stderr()).not.toContain(CANARY_PASSWORD);
  });

  it('issue 7: /healthz is 200 and /metrics is Prometheus text with requests by operation name and test-mail attempts by error code', async () => {
    const library = await gql(CREATE_LIBRARY, {
      input: { code: 'REFUSED', name: 'Refused Library', contactEmail: 'info@refused.example.org', smtpServerId: ids.refusing },
    });
    expect(library.errors).toBeUndefined();
    ids.refusedLibrary = library.data.createLibrary.id;
    const sent = await gql(`mutation OpsQuickTestMail($input: SendTestMailInput!) { sendTestMail(input: $input) { ok attempts { errorCode } } }`, {
      input: { libraryId: ids.refusedLibrary, to: 'reader@example.org' },
    });
    expect(sent.errors).toBeUndefined();
    expect(sent.data.sendTestMail).toEqual({ ok: false, attempts: [{ errorCode: 'CONNECTION_FAILED' }] });
    await gql(EFFECTIVE, { libraryId: ids.refusedLibrary });

    const health = await fetch(`${sqliteGateway!.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });

    const response = await fetch(`${sqliteGateway!.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    for (const line of text.split('\n').filter(Boolean)) {
      expect(line).toMatch(
        /^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*\})? -?[0-9.e+-]+|[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (\+Inf|NaN))$/,
      );
    }
    expect(text).toMatch(/^# TYPE mail_gateway_graphql_requests_total counter$/m);
    expect(metricValue(text, 'mail_gateway_graphql_requests_total{operation="OpsLibraries"}')).toBe(3);
    expect(metricValue(text, 'mail_gateway_graphql_requests_total{operation="OpsQuickTestMail"}')).toBe(1);
    expect(metricValue(text, 'mail_gateway_graphql_requests_total{operation="OpsCreateServer"}')).toBe(1);
    expect(metricValue(text, 'mail_gateway_graphql_errors_total{operation="OpsBadServer"}')).toBe(1);
    expect(metricValue(text, 'mail_gateway_graphql_request_duration_ms_count{operation="OpsLibraries"}')).toBe(3);
    expect(metricValue(text, 'mail_gateway_graphql_request_duration_ms_bucket{le="+Inf",operation="OpsLibraries"}')).toBe(3);
    expect(metricValue(text, 'mail_gateway_test_mail_attempts_total{code="CONNECTION_FAILED"}')).toBe(1);
    expect(metricValue(text, 'mail_gateway_config_cache_lookups_total{result="hit"}')).toBeGreaterThanOrEqual(1);
    // loaded once at start-up; the write since was applied in memory, not reloaded
    expect(metricValue(text, 'mail_gateway_config_snapshot_reloads_total')).toBe(1);
    expect(metricValue(text, 'mail_gateway_config_changes_applied_total{source="own"}')).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'mail_gateway_sql_statements_total')).toBeGreaterThan(0);
    // The standard process metrics operators expect from a Node.js service.
    for (const family of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_gc_duration_seconds',
    ]) {
      expect(text).toMatch(new RegExp(`^# TYPE ${family} `, 'm'));
    }
    expect(text).not.toContain(CANARY_PASSWORD);
  });

  it('issue 7: SIGTERM during a slow request: it completes normally, new connections are refused, the process exits 0 within 10 s', async () => {
    const server = await gql(CREATE_SERVER, { input: { name: 'Silent relay', host: '127.0.0.1', port: silentPort, connectionTimeoutMs: 1500 } });
    expect(server.errors).toBeUndefined();
    const library = await gql(CREATE_LIBRARY, {
      input: { code: 'SLOW', name: 'Slow Library', contactEmail: 'info@slow.example.org', smtpServerId: server.data.createSmtpServer.id },
    });
    expect(library.errors).toBeUndefined();

    const before = silentConnections;
    const requestStarted = Date.now();
    const inFlight = gql(`mutation OpsSlowTestMail($input: SendTestMailInput!) { sendTestMail(input: $input) { ok attempts { errorCode durationMs } } }`, {
      input: { libraryId: library.data.createLibrary.id, to: 'reader@example.org' },
    });
    // The request is in flight once the gateway has connected to the silent server.
    await waitFor('the gateway to connect to the silent SMTP server', async () => (silentConnections > before ? true : undefined), 3000, 10);
    const sent = Date.now();
    sqliteGateway!.child.kill('SIGTERM');

    // New connections are refused while the request is still running.
    const refused = await waitFor(
      'new connections to be refused',
      () =>
        new Promise<boolean | undefined>((resolve) => {
          const socket = connect(sqliteGateway!.port, '127.0.0.1');
          socket.once('connect', () => {
            socket.destroy();
            resolve(undefined);
          });
          socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED' ? true : undefined));
        }),
      1000,
      20,
    );
    const refusedAt = Date.now() - sent;

    const result = await inFlight;
    const answeredAt = Date.now();
    const requestMs = answeredAt - requestStarted;
    expect(refused.value).toBe(true);
    expect(refusedAt).toBeLessThan(requestMs);
    expect(result.status).toBe(200);
    expect(result.errors).toBeUndefined();
    expect(result.data.sendTestMail.ok).toBe(false);
    expect(result.data.sendTestMail.attempts).toHaveLength(1);
    expect(result.data.sendTestMail.attempts[0].errorCode).toBe('TIMEOUT');

    const exit = await within(sqliteGateway!.exited, SHUTDOWN_LIMIT_MS + 2000);
    expect(exit).not.toBeNull();
    const shutdownMs = exit!.at - sent;
    console.log(
      `graceful shutdown: new connections refused ${refusedAt} ms after SIGTERM, in-flight request answered after ${requestMs} ms, exit ${exit!.code} ${shutdownMs} ms after SIGTERM (${exit!.at - answeredAt} ms after the answer)`,
    );
    expect({ code: exit!.code, signal: exit!.signal }).toEqual({ code: 0, signal: null });
    expect(shutdownMs).toBeLessThan(SHUTDOWN_LIMIT_MS);
    // It does not linger on the now idle keep-alive connection of that request.
    expect(exit!.at - answeredAt).toBeLessThan(2000);

    // The shutdown ran to its end (database closed), and said so.
    const messages = jsonLines(sqliteGateway!.stdout()).map((l) => l.msg);
    expect(messages).toContain('shutting down');
    expect(messages).toContain('stopped');
    expect(messages.indexOf('stopped')).toBeGreaterThan(messages.indexOf('shutting down'));
    const slowLine = jsonLines(sqliteGateway!.stdout()).find((l) => l.msg === 'request' && l.path === '/graphql' && l.durationMs >= 1000);
    expect(slowLine).toBeDefined();

    // Over the whole life of the process: no password, no token, no key, no JWT secret.
    const everything = sqliteGateway!.stdout() + sqliteGateway!.stderr();
    expect(everything).not.toContain(CANARY_PASSWORD);
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(TEST_JWT_SECRET);
    expect(everything).not.toContain(TEST_MAIL_CONFIG_KEY);
  }, 20_000);
});
