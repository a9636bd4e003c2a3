import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { GatewayProcess, postGraphQL, spawnGateway, supportToken, waitFor, within } from '../operations/helpers';
import { freePort } from '../support/private-mariadb';
import { MAIL_CONFIG_CHANGED } from '../support/subscriptions';

/**
 * SIGTERM with 2,000 subscriptions open on 10 connections, one of whose clients no longer reads:
 * every client gets 1001 (the one that does not answer is cut), and the process exits 0 within
 * the shutdown limit. The gateway runs as a real process (src/main.ts).
 */
const SHUTDOWN_LIMIT_MS = 10_000;
const CONNECTIONS = 10;
const PER_CONNECTION = 200;
let dir: string;
let gateway: GatewayProcess | null = null;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), `mcg-ws-stop-${randomBytes(3).toString('hex')}-`));
});

afterAll(async () => {
  await gateway?.kill();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

function subscribed(url: string, token: string, libraryId: string): Promise<{ socket: WebSocket; closed: Promise<number>; answers: () => number }> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  let answers = 0;
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  socket.on('error', () => undefined);
  socket.on('message', (data) => {
    const message = JSON.parse(String(data));
    if (message.type === 'connection_ack') {
      for (let i = 0; i < PER_CONNECTION; i++)
        socket.send(JSON.stringify({ id: String(i), type: 'subscribe', payload: { query: MAIL_CONFIG_CHANGED, variables: { libraryId } } }));
    }
    if (message.type === 'next' && message.payload.data) answers += 1;
  });
  socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
  return Promise.resolve({ socket, closed, answers: () => answers });
}

it('SIGTERM with 2,000 subscribers: each connection closed with 1001 (a client that does not read is cut), exit 0 in time', async () => {
  const port = await freePort();
  gateway = await spawnGateway('ws-stop', port, { DATABASE_URL: `sqlite:${join(dir, 'gateway.sqlite')}`, CONFIG_REFRESH_MS: '0' }, 60_000);
  const token = await supportToken('ops-ws-stop');
  const created = await postGraphQL<any>(
    gateway.url,
    `mutation($input: LibraryInput!) { createLibrary(input: $input) { id } }`,
    { input: { code: 'WSSTOP', name: 'Stop', contactEmail: 'stop@ws.example.org' } },
    token,
  );
  const libraryId = created.data!.createLibrary.id;
  const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => subscribed(gateway!.url, token, libraryId)));
  await waitFor('2,000 first answers', async () => (clients.every((c) => c.answers() === PER_CONNECTION) ? true : undefined), 30_000);
  // This client stops reading: it will not answer the close, and is cut after a second.
  clients[0].socket.pause();

  const sent = Date.now();
  gateway.child.kill('SIGTERM');
  const codes = await Promise.all(clients.slice(1).map((c) => c.closed));
  expect(new Set(codes)).toEqual(new Set([1001]));
  const exit = await within(gateway.exited, SHUTDOWN_LIMIT_MS + 2000);
  expect(exit).not.toBeNull();
  console.log(`SIGTERM with ${CONNECTIONS * PER_CONNECTION} subscriptions: exit ${exit!.code} ${exit!.at - sent} ms after SIGTERM`);
  expect({ code: exit!.code, signal: exit!.signal }).toEqual({ code: 0, signal: null });
  expect(exit!.at - sent).toBeLessThan(SHUTDOWN_LIMIT_MS);
  clients[0].socket.terminate();
  const lines = gateway
    .stdout()
    .split('\n')
    .filter((line) => line.trim() !== '');
  expect(lines.map((line) => JSON.parse(line) as { level: number }).filter((line) => line.level >= 50)).toEqual([]);
}, 90_000);
