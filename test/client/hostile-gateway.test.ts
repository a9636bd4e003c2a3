import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { createGatewayClient, GatewayError, type GatewayClientOptions, type Watch } from 'mail-config-gateway-client';
import { MAX_UNREAD_EVENTS } from '../../client/src/watch';
import { WebSocket, WebSocketServer } from 'ws';
import { until } from '../support/subscriptions';

/**
 * The client against a gateway that misbehaves (compromised, stalled, or a proxy in between):
 * answers that never come or never end, endless and oversized bodies, bodies that are not JSON
 * around a password, a WebSocket peer that stops answering pings or sends huge messages. The
 * client must fail with a typed error, never hang or take unbounded memory, and never quote a
 * body in its errors.
 */

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

interface FakeGateway {
  url: string;
  server: Server;
  wss: WebSocketServer;
  /** WebSocket connections made to it so far. */
  connections: WebSocket[];
  /** Close codes the clients sent. */
  closeCodes: number[];
  /** Pongs the clients answered its pings with. */
  pongs: number;
  close(): Promise<void>;
}

const gateways: FakeGateway[] = [];
const watches: Array<Watch<unknown>> = [];

afterEach(async () => {
  for (const watch of watches.splice(0)) watch.close();
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

/** A loopback HTTP server that answers /graphql with `handler`, and speaks just enough graphql-ws on upgrades. */
async function fakeGateway(handler: Handler, onSubscribe?: (socket: WebSocket, id: string) => void): Promise<FakeGateway> {
  const server = createServer(handler);
  const wss = new WebSocketServer({ server, handleProtocols: () => 'graphql-transport-ws' });
  const connections: WebSocket[] = [];
  const closeCodes: number[] = [];
  wss.on('connection', (socket) => {
    connections.push(socket);
    socket.on('close', (code) => closeCodes.push(code));
    socket.on('message', (data) => {
      const message = JSON.parse(String(data));
      // Pings are never answered: the peer has stalled after the handshake.
      if (message.type === 'connection_init') socket.send(JSON.stringify({ type: 'connection_ack' }));
      if (message.type === 'subscribe') onSubscribe?.(socket, message.id);
      if (message.type === 'pong') gateway.pongs += 1;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const gateway: FakeGateway = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    server,
    wss,
    connections,
    closeCodes,
    pongs: 0,
    close: async () => {
      for (const socket of wss.clients) socket.terminate();
      server.closeAllConnections();
      await new Promise((resolve) => wss.close(() => server.close(resolve)));
    },
  };
  gateways.push(gateway);
  return gateway;
}

function client(gateway: FakeGateway, options: Partial<GatewayClientOptions> = {}) {
  return createGatewayClient({ url: gateway.url, getToken: async () => 'token', reconnect: { initialDelayMs: 20, maxDelayMs: 100 }, ...options });
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

const CONFIG = {
  purpose: 'GENERAL',
  revision: 1,
  stale: false,
  library: { id: '1', code: 'L', shortName: 'L' },
  department: null,
  servers: [],
  sender: null,
  problems: [],
  trace: [],
};

describe('HTTP answers that never come or never end', () => {
  it('a gateway that takes the request and never answers: NETWORK_ERROR at requestTimeoutMs', async () => {
    const gateway = await fakeGateway(() => undefined);
    const error = await failure(client(gateway, { requestTimeoutMs: 300 }).effectiveMailConfig({ libraryId: 1 }));
    expect(error.code).toBe('NETWORK_ERROR');
    expect(error.message).toContain('timed out');
  });

  it('a body that trickles in forever: NETWORK_ERROR at requestTimeoutMs, not a hang', async () => {
    const gateway = await fakeGateway((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"data":');
      const drip = setInterval(() => response.write(' '), 20);
      response.on('close', () => clearInterval(drip));
    });
    const error = await failure(client(gateway, { requestTimeoutMs: 300 }).effectiveMailConfig({ libraryId: 1 }));
    expect(error.code).toBe('NETWORK_ERROR');
  });
});

describe('oversized answers', () => {
  it('an endless body is refused once past maxResponseBytes, and the client stops reading it', async () => {
    let written = 0;
    const gateway = await fakeGateway((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"data":{"effectiveMailConfig":{"padding":"');
      const chunk = 'a'.repeat(64 * 1024);
      const pump = () => {
        // Stops by itself at 48 MiB, so that a client that reads everything cannot take the test down.
        while (!response.destroyed && written < 48 * 2 ** 20) {
          written += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
        if (!response.destroyed) response.end('"}}}');
      };
      pump();
    });
    const error = await failure(client(gateway, { maxResponseBytes: 2 ** 20, requestTimeoutMs: 20_000 }).effectiveMailConfig({ libraryId: 1 }));
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toContain(`larger than ${2 ** 20} bytes`);
    // What the client read plus what the sockets' buffers took; far from the 48 MiB on offer.
    expect(written).toBeLessThan(16 * 2 ** 20);
  });

  it('a Content-Length over maxResponseBytes is refused before the body is read', async () => {
    const gateway = await fakeGateway((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 ** 30) });
      response.write('{');
    });
    const error = await failure(client(gateway, { maxResponseBytes: 2 ** 20 }).effectiveMailConfig({ libraryId: 1 }));
    expect(error.message).toContain(`larger than ${2 ** 20} bytes`);
  });

  it('the heaviest legitimate answer under the default bound (a 4 MiB configuration) is read', async () => {
    const gateway = await fakeGateway((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ data: { effectiveMailConfig: { ...CONFIG, padding: 'a'.repeat(4 * 2 ** 20) } } }));
    });
    const config = await client(gateway).effectiveMailConfig({ libraryId: 1 });
    expect(config.revision).toBe(1);
  });
});

describe('answers that are not GraphQL', () => {
  it('a body that is not JSON around a password: BAD_RESPONSE that quotes nothing of it, in message or cause', async () => {
    const canary = 'S3cret-Canary-Pass';
    const gateway = await fakeGateway((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(`{"data":{"effectiveMailConfig":{"servers":[{"transport":{"auth":{"pass":"${canary}"x}}}]}}}`);
    });
    const error = await failure(client(gateway).effectiveMailConfig({ libraryId: 1 }));
    expect(error.code).toBe('BAD_RESPONSE');
    expect(inspect(error, { depth: 10 })).not.toContain(canary.slice(4, 12));
    expect(JSON.stringify(error)).not.toContain(canary.slice(4, 12));
  });
});

describe('a WebSocket peer that misbehaves', () => {
  const sendConfig = (socket: WebSocket, id: string, padding = '') =>
    socket.send(JSON.stringify({ id, type: 'next', payload: { data: { effectiveMailConfigChanged: { ...CONFIG, padding } } } }));

  it('a peer that stops answering pings is cut after keepAliveMs and the watch reconnects', async () => {
    const gateway = await fakeGateway(
      () => undefined,
      (socket, id) => sendConfig(socket, id),
    );
    const watch = client(gateway, { keepAliveMs: 100 }).watchEffectiveMailConfig({ libraryId: 1 });
    watches.push(watch as Watch<unknown>);
    expect((await watch.next()).value).toMatchObject({ revision: 1 });
    await until('a second connection after the unanswered ping', () => gateway.connections.length >= 2, 5000);
    expect((await watch.next()).value).toMatchObject({ revision: 1 });
  });

  it('a message over maxResponseBytes closes the connection (1009) instead of being taken', async () => {
    let huge = true;
    const gateway = await fakeGateway(
      () => undefined,
      (socket, id) => {
        sendConfig(socket, id, huge ? 'a'.repeat(2 * 2 ** 20) : '');
        huge = false;
      },
    );
    const watch = client(gateway, { maxResponseBytes: 2 ** 20 }).watchEffectiveMailConfig({ libraryId: 1 });
    watches.push(watch as Watch<unknown>);
    const first = (await watch.next()).value as Record<string, unknown>;
    // The huge message was refused; the reconnect got the normal one.
    expect(first.padding).toBe('');
    expect(gateway.closeCodes[0]).toBe(1009);
    expect(gateway.connections.length).toBe(2);
  });

  it(`a flood of 5,000 events not read yet keeps the newest ${MAX_UNREAD_EVENTS}, in order`, async () => {
    const gateway = await fakeGateway(
      () => undefined,
      (socket, id) => {
        for (let revision = 1; revision <= 5000; revision++) {
          socket.send(JSON.stringify({ id, type: 'next', payload: { data: { effectiveMailConfigChanged: { ...CONFIG, revision } } } }));
        }
        // Answered after every event before it has been taken in.
        socket.send(JSON.stringify({ type: 'ping' }));
      },
    );
    const watch = client(gateway).watchEffectiveMailConfig({ libraryId: 1 });
    watches.push(watch as Watch<unknown>);
    expect((await watch.next()).value).toMatchObject({ revision: 1 });
    await until('the pong after the flood', () => gateway.pongs === 1, 10_000);
    const read: number[] = [];
    while (read.at(-1) !== 5000) read.push(((await watch.next()).value as { revision: number }).revision);
    expect(read).toHaveLength(MAX_UNREAD_EVENTS);
    expect(read[0]).toBe(5000 - MAX_UNREAD_EVENTS + 1);
  });
});
