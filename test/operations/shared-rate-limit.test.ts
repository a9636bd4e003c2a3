import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'mysql2/promise';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig, DatabaseConfig } from '../../src/config';
import { GraphQLResponse, mysqlAvailable, startTestGateway, TestGateway } from '../support/gateway';
import { HOST, SmtpSink, startSmtpSink, TestServers } from '../transport/smtp-fixtures';
import { PrivateMariaDb, privateMariaDbUnavailable, startPrivateMariaDb } from '../support/private-mariadb';
import { CREATE_LIBRARY, CREATE_SERVER, OpsGateway, postGraphQL, startGatewayOn, supportToken, waitFor } from './helpers';

/**
 * TEST_MAIL_RATE_PER_MINUTE is one budget per identity for the whole deployment: on MySQL/MariaDB
 * every instance counts in the same table, so N instances do not allow N times the limit.
 */

const LIMIT = 3;
const SEND = `mutation SharedLimitTestMail($input: SendTestMailInput!) { sendTestMail(input: $input) { ok } }`;
const VERIFY = `mutation SharedLimitCheck($id: ID!) { verifySmtpServer(id: $id) { ok } }`;
// No snapshot: each instance reads the library the other created straight from the database.
const INSTANCE: Partial<AppConfig> = { testMailRatePerMinute: LIMIT, cache: { enabled: false, refreshMs: 0 } };

const sinks = new TestServers();
afterAll(() => sinks.closeAll());

function expectRateLimited(result: GraphQLResponse): void {
  expect(result.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  expect(result.errors![0].message).toMatch(new RegExp(`^At most ${LIMIT} test mails or server checks per minute; try again in \\d+ s$`));
  const retryAfterMs = result.errors![0].extensions?.retryAfterMs as number;
  expect(retryAfterMs).toBeGreaterThan(0);
  expect(retryAfterMs).toBeLessThanOrEqual(60_000);
}

/** A server pointing at a fresh sink and a library using it, created through `gw`. */
async function libraryOnSink(gw: OpsGateway, code: string): Promise<{ sink: SmtpSink; serverId: string; libraryId: string }> {
  const sink = await sinks.add(startSmtpSink());
  const server = await gw.ok<any>(CREATE_SERVER, { input: { name: `${code} sink`, host: HOST, port: sink.port, connectionTimeoutMs: 3000, timeoutMs: 5000 } });
  const serverId = server.createSmtpServer.id;
  const library = await gw.ok<any>(CREATE_LIBRARY, {
    input: { code, name: `${code} library`, contactEmail: `info@${code.toLowerCase()}.example.org`, smtpServerId: serverId },
  });
  return { sink, serverId, libraryId: library.createLibrary.id };
}

function sendVia(gw: OpsGateway, libraryId: string, token: string): Promise<GraphQLResponse<any>> {
  return postGraphQL(gw.url, SEND, { input: { libraryId, to: 'reader@example.net' } }, token);
}

async function expectSent(gw: OpsGateway, libraryId: string, token: string): Promise<void> {
  const result = await sendVia(gw, libraryId, token);
  expect(result.errors).toBeUndefined();
  expect(result.data.sendTestMail.ok).toBe(true);
}

(mysqlAvailable() ? describe : describe.skip)('TEST_MAIL_RATE_PER_MINUTE across two instances on one MariaDB database [mysql]', () => {
  let harness: TestGateway | null = null;
  let a: OpsGateway | null = null;
  let b: OpsGateway | null = null;

  beforeAll(async () => {
    // The harness creates, migrates and finally drops a private database; both instances use it.
    harness = await startTestGateway('mysql');
    const database: DatabaseConfig = { type: 'mysql', url: (harness.dataSource.options as { url: string }).url };
    a = await startGatewayOn(database, INSTANCE);
    b = await startGatewayOn(database, INSTANCE);
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await harness?.close();
  });

  it(`${LIMIT} test mails split across both instances go out; the next is RATE_LIMITED on either instance; another identity still sends`, async () => {
    const { sink, libraryId } = await libraryOnSink(a!, 'SHARED1');
    const token = await supportToken('shared-limit-1');

    await expectSent(a!, libraryId, token);
    await expectSent(b!, libraryId, token);
    await expectSent(a!, libraryId, token);
    // Counted per instance, b would have spent one of three and a two of three.
    expectRateLimited(await sendVia(b!, libraryId, token));
    expectRateLimited(await sendVia(a!, libraryId, token));
    expect(sink.received).toHaveLength(LIMIT);
    expect(sink.connections()).toBe(LIMIT);

    await expectSent(b!, libraryId, await supportToken('shared-limit-2'));
    expect(sink.received).toHaveLength(LIMIT + 1);
  });

  it('server checks on one instance and test mails on the other draw on the same budget', async () => {
    const { sink, serverId, libraryId } = await libraryOnSink(a!, 'SHARED2');
    const token = await supportToken('shared-limit-3');

    await expectSent(a!, libraryId, token);
    await expectSent(a!, libraryId, token);
    const check = await postGraphQL<any>(b!.url, VERIFY, { id: serverId }, token);
    expect(check.data?.verifySmtpServer.ok).toBe(true);
    expectRateLimited(await postGraphQL(b!.url, VERIFY, { id: serverId }, token));
    expectRateLimited(await sendVia(a!, libraryId, token));
    expect(sink.connections()).toBe(LIMIT);
  });

  it('the shared counters name no identity in clear', async () => {
    const rows: Array<{ key: string }> = await harness!.dataSource.query('SELECT `key` FROM rate_limit');
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.map((r) => r.key).join('\n')).not.toMatch(/shared-limit/);
  });

  it('without the shared table (a database failing the limiter) test mails still go out, limited in memory per instance, and the log says so', async () => {
    const { sink, libraryId } = await libraryOnSink(a!, 'SHARED3');
    const token = await supportToken('shared-limit-4');
    await harness!.dataSource.query('RENAME TABLE rate_limit TO rate_limit_away');
    try {
      for (let i = 0; i < LIMIT; i += 1) await expectSent(a!, libraryId, token);
      expectRateLimited(await sendVia(a!, libraryId, token));
    } finally {
      await harness!.dataSource.query('RENAME TABLE rate_limit_away TO rate_limit');
    }
    expect(sink.received).toHaveLength(LIMIT);
    const warnings = a!.logLines.filter((line) => line.includes('rate limit store unavailable'));
    expect(warnings.length).toBeGreaterThanOrEqual(LIMIT);
    expect(warnings.join('\n')).not.toMatch(/shared-limit/);
  });
});

describe('TEST_MAIL_RATE_PER_MINUTE on SQLite: counted in memory [sqlite]', () => {
  let dir: string | null = null;
  let gw: OpsGateway | null = null;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcg-limit-'));
    gw = await startGatewayOn({ type: 'sqlite', path: join(dir, 'limit.sqlite') }, INSTANCE);
  });

  afterAll(async () => {
    await gw?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`${LIMIT} test mails go out, the next is RATE_LIMITED, nothing more reaches the server; SQLite needs no limiter table`, async () => {
    const { sink, libraryId } = await libraryOnSink(gw!, 'MEMORY');
    const token = await supportToken('memory-limit');
    for (let i = 0; i < LIMIT; i += 1) await expectSent(gw!, libraryId, token);
    expectRateLimited(await sendVia(gw!, libraryId, token));
    expect(sink.received).toHaveLength(LIMIT);
    const tables: Array<{ name: string }> = await gw!.dataSource.query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'rate_limit'`);
    expect(tables).toEqual([]);
  });
});

const TIMEOUTS = { queryMs: 800, acquireMs: 800, checkMs: 300 };
const cannotHang = privateMariaDbUnavailable() ?? (mysqlAvailable() ? null : 'MySQL/MariaDB is not available for this run');
if (cannotHang) console.warn(`*** rate limiter hang test SKIPPED: ${cannotHang}`);

(cannotHang ? describe.skip : describe)('TEST_MAIL_RATE_PER_MINUTE while the database hangs (SIGSTOP) [private mariadb]', () => {
  let db: PrivateMariaDb | null = null;
  let gw: OpsGateway | null = null;

  beforeAll(async () => {
    db = await startPrivateMariaDb();
    const admin = await createConnection({ uri: db.url(), connectTimeout: 3000 });
    await admin.query('CREATE DATABASE mcg_limit CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
    await admin.end();
    // The snapshot serves the configuration, so only the limiter (and the audit entry) need the database.
    gw = await startGatewayOn({ type: 'mysql', url: db.url('mcg_limit'), timeouts: TIMEOUTS }, { ...INSTANCE, cache: { enabled: true, refreshMs: 0 } });
  }, 60_000);

  afterAll(async () => {
    if (db?.running) db.resume();
    await gw?.close().catch(() => undefined);
    await db?.cleanup();
  }, 30_000);

  it('a test mail is not held up by the hung limiter store: it goes out after the statement timeout, counted in memory', async () => {
    const { sink, libraryId } = await libraryOnSink(gw!, 'HUNG');
    await gw!.services.snapshots!.reload();
    const token = await supportToken('hung-limit');
    db!.pause();
    const started = Date.now();
    // The answer itself may be an error: the audit entry cannot be written either.
    const pending = sendVia(gw!, libraryId, token);
    await waitFor('the test mail to reach the sink', async () => (sink.received.length === 1 ? true : undefined), TIMEOUTS.acquireMs + TIMEOUTS.queryMs + 3000);
    console.log(`rate limiter on a hung database: test mail delivered after ${Date.now() - started} ms (query timeout ${TIMEOUTS.queryMs} ms)`);
    await pending;
    expect(gw!.logLines.some((line) => line.includes('rate limit store unavailable'))).toBe(true);
  });
});
