import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/private-mariadb';
import { RawConnection } from '../support/raw-http';
import { GatewayProcess, sleep, spawnGateway, supportToken, waitFor, within } from './helpers';

/**
 * The edges of a graceful shutdown, with the gateway as a real process (src/main.ts): requests
 * already written on kept-alive connections are answered, idle connections are closed, a slow
 * upload is cut with a logged reason, and the exit is 0 within 10 s. A client that leaves is not
 * an error. (The in-flight request and MariaDB cases are in processes.test.ts.)
 */
const SHUTDOWN_LIMIT_MS = 10_000;
let dir: string;
let token: string;
const processes: GatewayProcess[] = [];

function jsonLines(text: string): Array<Record<string, any>> {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, any>);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), `mcg-shutdown-${randomBytes(3).toString('hex')}-`));
  token = await supportToken('ops-shutdown');
});

afterAll(async () => {
  for (const proc of processes) await proc.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('shutdown edges: answered keep-alive requests, cut uploads, clients that leave [sqlite]', () => {
  let edge: GatewayProcess;
  let uploads: GatewayProcess;
  const authorized = (body: string) =>
    `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer ${token}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const QUERY = JSON.stringify({ query: '{ smtpServers { name } }' });

  beforeAll(async () => {
    const start = async (name: string) => {
      const proc = await spawnGateway(name, await freePort(), { DATABASE_URL: `sqlite:${join(dir, `${name}.sqlite`)}`, CONFIG_REFRESH_MS: '0' }, 60_000);
      processes.push(proc);
      return proc;
    };
    edge = await start('edge');
    uploads = await start('uploads');
  }, 130_000);

  it('a client that goes away in the middle of its request is logged at info, never at error', async () => {
    const connection = await RawConnection.open(edge.port);
    connection.write(
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer ${token}\r\nX-Request-Id: ops-aborted-0001\r\nContent-Length: 5000\r\n\r\n{"query":`,
    );
    await sleep(100);
    connection.destroy();
    const line = await waitFor(
      'the log line of the abandoned request',
      async () => jsonLines(edge.stdout()).find((l) => l.requestId === 'ops-aborted-0001'),
      3000,
    );
    expect(line.value).toMatchObject({ level: 30, msg: 'request abandoned by the client', aborted: true });
    expect(jsonLines(edge.stdout()).filter((l) => l.level >= 50)).toEqual([]);
  });

  it('requests written on open keep-alive connections right after SIGTERM all get answers with Connection: close; idle connections are closed; exit 0', async () => {
    const connections = await Promise.all(Array.from({ length: 8 }, () => RawConnection.open(edge.port)));
    for (const connection of connections) {
      connection.write(authorized(QUERY));
      expect((await connection.response())?.status).toBe(200);
    }
    const sent = Date.now();
    edge.child.kill('SIGTERM');
    // Half at once, half a little later: both land while the server is already shutting down.
    connections.slice(0, 4).forEach((connection) => connection.write(authorized(QUERY)));
    await sleep(150);
    connections.slice(4).forEach((connection) => connection.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
    const answers = await Promise.all(connections.map((connection) => connection.response(5000)));
    expect(answers.map((a) => a?.status ?? null)).toEqual([200, 200, 200, 200, 200, 200, 200, 200]);
    for (const answer of answers.slice(4)) expect(answer!.head).toMatch(/\r\nConnection: close/i);
    for (const connection of connections) expect(await connection.closedWithin(3000)).toBe(true);
    const exit = await within(edge.exited, SHUTDOWN_LIMIT_MS + 2000);
    expect(exit).not.toBeNull();
    console.log(`keep-alive requests after SIGTERM: 8 of 8 answered; exit ${exit!.code} ${exit!.at - sent} ms after SIGTERM`);
    expect({ code: exit!.code, signal: exit!.signal }).toEqual({ code: 0, signal: null });
    expect(exit!.at - sent).toBeLessThan(SHUTDOWN_LIMIT_MS);
  }, 20_000);

  it('a slow uploader is cut with a logged reason and does not make the exit code 1', async () => {
    const connection = await RawConnection.open(uploads.port);
    connection.write(
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer ${token}\r\nX-Request-Id: ops-slow-upload-01\r\nContent-Length: 100000\r\n\r\n{"query":"{ smtpServers { name } }","pad":"`,
    );
    const trickle = setInterval(() => connection.closed || connection.write('x'.repeat(10)), 100);
    try {
      await sleep(300);
      const sent = Date.now();
      uploads.child.kill('SIGTERM');
      const answer = await connection.response(5000);
      expect(answer?.status).toBe(503);
      expect(answer?.head).toMatch(/\r\nconnection: close/i);
      const exit = await within(uploads.exited, SHUTDOWN_LIMIT_MS + 2000);
      expect(exit).not.toBeNull();
      console.log(`slow upload at SIGTERM: answered 503, exit ${exit!.code} ${exit!.at - sent} ms after SIGTERM`);
      expect({ code: exit!.code, signal: exit!.signal }).toEqual({ code: 0, signal: null });
      expect(exit!.at - sent).toBeLessThan(SHUTDOWN_LIMIT_MS);
      const cut = jsonLines(uploads.stdout()).find((l) => l.msg === 'request body cut at shutdown');
      expect(cut).toMatchObject({ level: 40, requestId: 'ops-slow-upload-01' });
      expect(cut!.reason).toMatch(/did not arrive/);
      expect(jsonLines(uploads.stdout()).filter((l) => l.level >= 50)).toEqual([]);
    } finally {
      clearInterval(trickle);
      connection.destroy();
    }
  }, 20_000);
});
