import { DocumentNode, GraphQLError, GraphQLSchema } from 'graphql';
import { Context, handleProtocols, makeServer } from 'graphql-ws';
import { IncomingMessage, Server } from 'node:http';
import { Duplex } from 'node:stream';
import { DataSource } from 'typeorm';
import { WebSocket, WebSocketServer } from 'ws';
import { Identity } from '../auth/identity';
import { Logger } from '../common/logger';
import { AppConfig } from '../config';
import { createLoaders, GatewayContext, Loaders, RequestContext, Services } from '../context';
import { createUpgradeOriginCheck } from '../http/cors';
import { formatError } from '../http/format-error';
import { parseRequestTarget } from '../http/request-target';
import { CachedVerifier } from '../http/token-cache';
import { Metrics } from '../observability/metrics';
import { ByteLru } from '../performance/byte-lru';
import { createCostCheck } from '../security/query-cost.plugin';
import { closeReason, CloseCode } from './close-codes';
import { atExpiry, authenticateConnection } from './connection-auth';
import { prepareOperation, SUBSCRIPTION_DOCUMENT_CACHE_BYTES, subscribePerEvent } from './subscription-operation';

/** Every this often each connection is pinged; one that has not answered the previous ping is cut. */
const KEEPALIVE_MS = 30_000;
/** How long a client has to answer the close at shutdown before its connection is cut. */
const CLOSE_WAIT_MS = 1_000;
/**
 * Bytes queued for a client beyond which a message from it cuts the connection: each message may
 * be answered (a pong echoes its payload), so a client that writes without reading would
 * otherwise grow the gateway's memory without end. Updates alone never reach it (one pending per
 * subscription, see LatestValue); it is checked only when the client sends something.
 */
export const MAX_UNREAD_BYTES = 16 * 2 ** 20;

export interface SubscriptionServerOptions {
  httpServer: Server;
  schema: GraphQLSchema;
  config: AppConfig;
  dataSource: DataSource;
  services: Services;
  logger: Logger;
  metrics: Metrics;
  verify: CachedVerifier;
}

export interface SubscriptionServer {
  /** Closes every connection (1001) and refuses new ones. */
  stop(): Promise<void>;
}

/** One WebSocket connection: who it is (after connection_init) and when that stops being true. */
interface Connection {
  socket: WebSocket;
  identity: Identity | null;
  cancelExpiry: () => void;
  alive: boolean;
}

function close(socket: WebSocket, code: number, reason: string): void {
  if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close(code, closeReason(reason));
}

/** connection_init: the token decides, the refusal is a close code; the connection ends at the token's exp. */
async function connect(ctx: Context<Record<string, unknown> | undefined, Connection>, verify: CachedVerifier, logger: Logger): Promise<boolean> {
  const connection = ctx.extra;
  const auth = await authenticateConnection(ctx.connectionParams, verify);
  if ('refused' in auth) {
    logger.log('info', 'WebSocket connection refused', { code: auth.refused, reason: auth.reason });
    close(connection.socket, auth.refused, auth.reason);
    // graphql-ws closes with 4403 on false; the socket is already closing with the code above.
    return false;
  }
  connection.identity = auth.identity;
  connection.cancelExpiry = atExpiry(auth.expiresAt, () => close(connection.socket, CloseCode.UNAUTHORIZED, 'The bearer token has expired'));
  return true;
}

/**
 * The context a subscription's source stream is set up with. graphql-ws keeps it for the whole
 * subscription, so it memoises no reads: a loader kept here would hold the snapshot of the moment
 * the subscription began for as long as it stays open, one whole configuration per moment.
 */
class SubscriptionContext implements GatewayContext {
  constructor(
    readonly identity: Identity | null,
    readonly services: Services,
    private readonly currentLoaders: () => Loaders,
  ) {}

  get loaders(): Loaders {
    return this.currentLoaders();
  }

  get dnsBudget() {
    return this.services.deliverability.requestBudget(this.identity);
  }
}

/** The graphql-ws protocol over the gateway's schema, limits, identities and error policy. */
function protocolServer({ schema, config, dataSource, services, logger, verify }: SubscriptionServerOptions) {
  const format = formatError(logger, !config.graphql.introspection);
  const formatAll = (errors: readonly GraphQLError[]) => errors.map((error) => format(error.toJSON(), error));
  const checks = {
    schema,
    limits: config.graphql,
    cost: createCostCheck(config.queryCost, dataSource, () => services.snapshots?.current ?? null),
    documents: new ByteLru<DocumentNode>(SUBSCRIPTION_DOCUMENT_CACHE_BYTES),
  };
  const currentLoaders = () => createLoaders(dataSource, services.snapshots?.current ?? null);
  return makeServer<Record<string, unknown> | undefined, Connection>({
    schema,
    context: (ctx) => new SubscriptionContext(ctx.extra.identity, services, currentLoaders),
    subscribe: subscribePerEvent(
      (subscription, loaders) => new RequestContext(subscription.identity, services, undefined, loaders ? () => loaders : currentLoaders),
    ),
    onConnect: (ctx) => connect(ctx, verify, logger),
    onSubscribe: (ctx, _id, payload) => prepareOperation(checks, ctx, payload),
    onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: formatAll(result.errors) } : undefined),
    onError: (_ctx, _id, _payload, errors) => formatAll(errors),
  });
}

const REFUSALS = { 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' } as const;

/** Plain HTTP refusal of an upgrade that is not ours to accept. */
function refuseUpgrade(socket: Duplex, status: keyof typeof REFUSALS): void {
  socket.on('error', () => undefined);
  socket.end(`HTTP/1.1 ${status} ${REFUSALS[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** A client that sends while leaving unread more than MAX_UNREAD_BYTES is cut (logged); true when it was. */
function cutWhenNotReading(connection: Connection, logger: Logger): boolean {
  const { socket } = connection;
  if (socket.readyState !== WebSocket.OPEN || socket.bufferedAmount <= MAX_UNREAD_BYTES) return false;
  logger.log('warn', 'WebSocket connection cut: the client sends without reading', { unreadBytes: socket.bufferedAmount, subject: connection.identity?.sub });
  socket.terminate();
  return true;
}

/** graphql-ws throws this for a message only a server sends (next, error, connection_ack): the client's fault, not ours. */
const UNEXPECTED_MESSAGE = /^Unexpected message of type \S+ received$/;

function pathOf(request: IncomingMessage): string | null {
  try {
    return parseRequestTarget(request.url).pathname;
  } catch {
    return null;
  }
}

/** Bridges one ws socket to the protocol server; returns the connection for keep-alive and shutdown. */
function open(socket: WebSocket, server: ReturnType<typeof protocolServer>, options: SubscriptionServerOptions): Connection {
  const { logger, metrics } = options;
  const connection: Connection = { socket, identity: null, cancelExpiry: () => undefined, alive: true };
  const opened = Date.now();
  metrics.websocketConnections(1);
  socket.on('pong', () => (connection.alive = true));
  // ws answers pings itself; a client that pings without reading is cut like one that sends messages.
  socket.on('ping', () => cutWhenNotReading(connection, logger));
  // ws closes the socket itself on a protocol violation (e.g. 1009 for a message over maxPayload).
  socket.on('error', (error) => logger.log('info', 'WebSocket error', { error: error.message }));
  const closed = server.opened(
    {
      protocol: socket.protocol,
      send: (data) =>
        new Promise<void>((resolve, reject) => {
          if (socket.readyState !== WebSocket.OPEN) return resolve();
          socket.send(data, (error) => (error ? reject(error) : resolve()));
        }),
      close: (code, reason) => close(socket, code ?? CloseCode.INTERNAL_ERROR, reason ?? ''),
      onMessage: (handle) =>
        socket.on('message', (data) => {
          if (cutWhenNotReading(connection, logger)) return;
          handle(String(data)).catch((error: Error) => {
            if (UNEXPECTED_MESSAGE.test(error.message)) return close(socket, CloseCode.BAD_REQUEST, 'A client may not send this message type');
            logger.log('error', 'WebSocket message handling failed', { error: error.message });
            close(socket, CloseCode.INTERNAL_ERROR, 'Internal server error');
          });
        }),
    },
    connection,
  );
  socket.once('close', (code, reason) => {
    connection.cancelExpiry();
    metrics.websocketConnections(-1);
    logger.log('info', 'WebSocket connection closed', { code, durationMs: Date.now() - opened, subject: connection.identity?.sub });
    void closed(code, reason.toString());
  });
  return connection;
}

/** Closes with 1001 and waits a moment for the client's answer; cuts what does not answer. */
function closeForShutdown(connection: Connection): Promise<void> {
  const { socket } = connection;
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const cut = setTimeout(() => socket.terminate(), CLOSE_WAIT_MS);
    socket.once('close', () => {
      clearTimeout(cut);
      resolve();
    });
    close(socket, CloseCode.GOING_AWAY, 'The gateway is shutting down');
  });
}

/**
 * GraphQL subscriptions over the graphql-ws protocol on the HTTP server's own port and path: an
 * upgrade of GET /graphql. Other paths are refused with 404, a browser page of an origin CORS
 * does not allow with 403, and every upgrade once stop() began with 503.
 */
export function attachSubscriptions(options: SubscriptionServerOptions): SubscriptionServer {
  const { httpServer, config } = options;
  const server = protocolServer(options);
  const wss = new WebSocketServer({ noServer: true, handleProtocols, maxPayload: config.graphql.maxBodyBytes });
  const originAllowed = createUpgradeOriginCheck(config.cors);
  const connections = new Set<Connection>();
  let stopping: Promise<void> | null = null;
  wss.on('connection', (socket: WebSocket) => {
    const connection = open(socket, server, options);
    connections.add(connection);
    socket.once('close', () => connections.delete(connection));
  });
  httpServer.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (stopping) return refuseUpgrade(socket, 503);
    if (pathOf(request) !== '/graphql') return refuseUpgrade(socket, 404);
    if (!originAllowed(request)) return refuseUpgrade(socket, 403);
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  });
  const keepAlive = setInterval(() => {
    for (const connection of connections) {
      if (connection.socket.readyState !== WebSocket.OPEN) continue;
      if (!connection.alive) {
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }, KEEPALIVE_MS);
  keepAlive.unref();
  async function stop(): Promise<void> {
    clearInterval(keepAlive);
    await Promise.all([...connections].map(closeForShutdown));
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
  return { stop: () => (stopping ??= stop()) };
}
