import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { GatewayError, toErrorDetails, type GatewayErrorDetail } from './errors';
import { requestBody } from './http-request';
import type { TokenSource } from './token-source';

export interface ReconnectOptions {
  /** Wait before the first reconnect; doubled after each failed one. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface SubscriptionOptions {
  wsUrl: string;
  tokens: TokenSource;
  reconnect: ReconnectOptions;
  /** Ping interval; a ping unanswered for as long cuts the connection, which is then made again. */
  keepAliveMs: number;
  /** A larger message closes the connection (1009). */
  maxMessageBytes: number;
}

export interface SubscriptionHandlers<TData> {
  /** One event: data and any errors beside it. Throwing ends the subscription with that error. */
  next(data: TData | null, errors: GatewayErrorDetail[]): void;
  /** The connection was (re)established and the subscription sent: events from here on are seen. */
  connected?(): void;
  /** The connection was lost; a reconnect follows unless `end` is called. */
  disconnected?(): void;
  /** The subscription is over: null when the gateway completed it or it was closed, else why. */
  end(error: GatewayError | null): void;
}

type Outcome =
  | { kind: 'complete' }
  | { kind: 'stopped' }
  | { kind: 'failed'; error: GatewayError }
  | { kind: 'closed'; code: number | null; reason: string; connected: boolean };

/** Close codes of the gateway's subscription endpoint. */
const UNAUTHORIZED = 4401;
const FORBIDDEN = 4403;

/**
 * Follows one subscription for as long as it is not closed: reconnects with exponential backoff
 * after a lost connection, with a token fetched again on every reconnect. Not retried: 4403 (the
 * role may not subscribe), GraphQL errors (e.g. FORBIDDEN, an unknown library), and a 4401
 * repeated with a fresh token; each ends the subscription with a GatewayError.
 */
export function followSubscription<TData, TVariables>(
  options: SubscriptionOptions,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  handlers: SubscriptionHandlers<TData>,
): { close(): void } {
  const run = new SubscriptionRun(
    options,
    { ...requestBody(document), variables: variables as Record<string, unknown> },
    handlers as SubscriptionHandlers<unknown>,
  );
  void run.loop();
  return { close: () => run.stop() };
}

class SubscriptionRun {
  private stopped = false;
  private cancel: (() => void) | null = null;

  constructor(
    private readonly options: SubscriptionOptions,
    private readonly payload: { query: string; operationName: string | undefined; variables: Record<string, unknown> },
    private readonly handlers: SubscriptionHandlers<unknown>,
  ) {}

  stop(): void {
    this.stopped = true;
    this.cancel?.();
  }

  async loop(): Promise<void> {
    let failures = 0;
    let refusedTokens = 0;
    let freshToken = false;
    while (!this.stopped) {
      const outcome = await this.connectOnce(freshToken);
      if (this.stopped || outcome.kind === 'stopped' || outcome.kind === 'complete') return this.handlers.end(null);
      if (outcome.kind === 'failed') return this.handlers.end(outcome.error);
      if (outcome.connected) failures = 0;
      const refused = closeError(outcome, refusedTokens);
      if (refused) return this.handlers.end(refused);
      refusedTokens = outcome.code === UNAUTHORIZED && !outcome.connected ? refusedTokens + 1 : 0;
      // A refused token is replaced at once; anything else waits, longer after each failure.
      if (outcome.code !== UNAUTHORIZED) await this.wait(backoff(this.options.reconnect, failures++));
      freshToken = true;
    }
    this.handlers.end(null);
  }

  /** One connection and one subscription on it, until it ends in some way. */
  private connectOnce(freshToken: boolean): Promise<Outcome> {
    let connected = false;
    const client = this.client(freshToken, () => {
      connected = true;
      this.handlers.connected?.();
    });
    return new Promise<Outcome>((resolve) => {
      let finished = false;
      let unsubscribe = () => undefined as void;
      const finish = (outcome: Outcome) => {
        if (finished) return;
        finished = true;
        this.cancel = null;
        unsubscribe();
        // dispose() waits for a connection still being made and rethrows its failure, already handled here.
        Promise.resolve(client.dispose()).catch(() => undefined);
        if (connected) this.handlers.disconnected?.();
        resolve(outcome);
      };
      unsubscribe = client.subscribe(this.payload, {
        next: (result) => {
          try {
            this.handlers.next(result.data ?? null, toErrorDetails(result.errors));
          } catch (error) {
            finish({ kind: 'failed', error: asGatewayError(error) });
          }
        },
        error: (error) => finish(classifyError(error, connected)),
        complete: () => finish({ kind: 'complete' }),
      });
      this.cancel = () => finish({ kind: 'stopped' });
    });
  }

  private client(freshToken: boolean, onConnected: () => void): Client {
    const { tokens, wsUrl, keepAliveMs, maxMessageBytes } = this.options;
    const pongWait = new PongWait(keepAliveMs);
    return createClient({
      url: wsUrl,
      webSocketImpl: boundedWebSocket(maxMessageBytes),
      lazy: true,
      // Reconnecting is done here, so that every failure is seen and the token is renewed.
      retryAttempts: 0,
      keepAlive: keepAliveMs,
      // A peer that takes the socket but never acknowledges is closed (4418) and tried again.
      connectionAckWaitTimeout: 10_000,
      connectionParams: async () => ({ authorization: `Bearer ${await (freshToken ? tokens.refresh() : tokens.current())}` }),
      on: {
        opened: (socket) => (pongWait.socket = socket as WebSocket),
        connected: onConnected,
        ping: (received) => (received ? undefined : pongWait.start()),
        pong: (received) => (received ? pongWait.stop() : undefined),
        closed: () => pongWait.stop(),
      },
    });
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.cancel = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.cancel = done;
    });
  }
}

/** ws with a bound on the messages it takes (ws's own default is 100 MiB), as graphql-ws constructs it. */
function boundedWebSocket(maxPayload: number): unknown {
  return class BoundedWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { maxPayload });
    }
  };
}

/**
 * graphql-ws pings but does not notice a missing pong: a peer that stalls (or a connection that
 * died without a FIN) would keep a mailer on its last configuration for good. A ping unanswered
 * for `ms` cuts the socket (no close handshake to wait out), which ends in a reconnect.
 */
class PongWait {
  socket: WebSocket | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly ms: number) {}

  start(): void {
    this.stop();
    this.timer = setTimeout(() => this.socket?.terminate(), this.ms);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/**
 * What graphql-ws reports: GraphQL errors (array), a close event (code, reason), or an error of the
 * socket or of getToken(), which may pass (a token service briefly down), so it is retried.
 */
function classifyError(error: unknown, connected: boolean): Outcome {
  if (Array.isArray(error)) return { kind: 'failed', error: new GatewayError(toErrorDetails(error)) };
  const event = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; reason?: unknown };
  if (typeof event.code === 'number') return { kind: 'closed', code: event.code, reason: typeof event.reason === 'string' ? event.reason : '', connected };
  return { kind: 'closed', code: null, reason: error instanceof Error ? error.message : 'connection failed', connected };
}

/** The close codes that end the subscription instead of a reconnect. */
function closeError(outcome: Extract<Outcome, { kind: 'closed' }>, refusedTokens: number): GatewayError | null {
  if (outcome.code === FORBIDDEN) return GatewayError.local('FORBIDDEN', reasonText(outcome, 'This identity may not subscribe'));
  if (outcome.code === UNAUTHORIZED && !outcome.connected && refusedTokens >= 1) {
    return GatewayError.local('UNAUTHENTICATED', reasonText(outcome, 'The gateway refused the token'));
  }
  return null;
}

function reasonText(outcome: { code: number | null; reason: string }, fallback: string): string {
  return `${outcome.reason || fallback} (WebSocket close ${outcome.code})`;
}

function asGatewayError(error: unknown): GatewayError {
  return error instanceof GatewayError ? error : GatewayError.local('BAD_RESPONSE', error instanceof Error ? error.message : String(error), { cause: error });
}

/** Exponential backoff with ±20 % jitter, so that many clients do not reconnect in step. */
export function backoff(options: ReconnectOptions, failures: number): number {
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(failures, 20));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}
