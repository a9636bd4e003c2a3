import net from 'node:net';
import { createGatewayClient, type GatewayClient, type GatewayClientOptions } from 'mail-config-gateway-client';
import { signToken } from '../../src/auth/token-verifier';
import { createChain, createLibrary, type LibraryRecord, type ServerRecord } from '../support/fixtures';
import type { TestGateway } from '../support/gateway';
import { HOST } from '../transport/smtp-fixtures';

/**
 * The client package against a real test gateway: each client counts the tokens it asked for,
 * and reconnects fast so that tests of the change stream do not wait out production backoff.
 */
export interface CountingClient {
  client: GatewayClient;
  /** How many times getToken() was called. */
  tokenCalls(): number;
}

export function clientFor(
  gw: TestGateway,
  tokens: string | string[] | (() => Promise<string>),
  options: Partial<GatewayClientOptions> & { baseUrl?: string } = {},
): CountingClient {
  let calls = 0;
  const next = typeof tokens === 'function' ? tokens : () => Promise.resolve(Array.isArray(tokens) ? tokens[Math.min(calls - 1, tokens.length - 1)] : tokens);
  const { baseUrl, ...rest } = options;
  const client = createGatewayClient({
    url: `${baseUrl ?? gw.url}/graphql`,
    getToken: () => {
      calls += 1;
      return next();
    },
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    ...rest,
  });
  return { client, tokenCalls: () => calls };
}

/** A well-formed token the gateway refuses (signed with another secret): every request with it gets 401. */
export function foreignToken(): Promise<string> {
  return signToken('another-secret-that-is-at-least-32-bytes-long', { sub: 'service-elsewhere', roles: ['service'], scope: 'mail:credentials' });
}

/** SMTP servers on loopback linked into a chain, each spec overriding the defaults, and a library sending through it. */
export async function libraryWithChain(
  gw: TestGateway,
  specs: Array<{ port: number } & Record<string, unknown>>,
  library: Record<string, unknown> = {},
): Promise<{ servers: ServerRecord[]; library: LibraryRecord }> {
  const servers = await createChain(
    gw,
    specs.map((spec) => ({ host: HOST, connectionTimeoutMs: 3000, timeoutMs: 5000, ...spec })),
  );
  const code = `L${Math.random().toString(36).slice(2, 10).toUpperCase()}`;
  const created = await createLibrary(gw, {
    code,
    shortName: `KNIH-${code}`,
    contactEmail: `${code.toLowerCase()}@library.example`,
    smtpServerId: servers[0].id,
    ...library,
  });
  return { servers, library: created };
}

/**
 * A TCP relay to the gateway whose connections can be cut, as a network failure or a restarting
 * load balancer would: the client sees its WebSocket drop and must reconnect.
 */
export async function startRelay(targetPort: number): Promise<{ url: string; cut(): void; connections(): number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((client) => {
    connections += 1;
    const upstream = net.connect(targetPort, HOST);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as net.AddressInfo;
  const cut = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    url: `http://${HOST}:${port}`,
    cut,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        cut();
        server.close(() => resolve());
      }),
  };
}

/** Resolves with the next value the callback registers, e.g. a mailer's next configuration change. */
export function nextCall<T>(): { callback: (value: T) => void; next(): Promise<T> } {
  const values: T[] = [];
  const waiting: Array<(value: T) => void> = [];
  return {
    callback: (value) => {
      const resolve = waiting.shift();
      if (resolve) resolve(value);
      else values.push(value);
    },
    next: () => (values.length > 0 ? Promise.resolve(values.shift()!) : new Promise<T>((resolve) => waiting.push(resolve))),
  };
}

/** Waits until `check` holds, looking again on every turn of the event loop for a while. */
export async function eventually(check: () => boolean, what: string, attempts = 500): Promise<void> {
  for (let i = 0; i < attempts; i += 1) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`Still not true: ${what}`);
}

const UPDATE_LIBRARY = `mutation UpdateLibrary($id: ID!, $input: LibraryUpdateInput!) { updateLibrary(id: $id, input: $input) { id version } }`;

/** Changes a library through the API as support staff would (e.g. picks another SMTP server, R4). */
export async function updateLibrary(gw: TestGateway, id: string, input: Record<string, unknown>): Promise<void> {
  await gw.ok(UPDATE_LIBRARY, { id, input });
}
