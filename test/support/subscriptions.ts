import { Client, createClient, ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

/** The change stream's document as the internal services send it. */
export const MAIL_CONFIG_CHANGED = `subscription MailConfigChanged($libraryId: ID!, $departmentId: ID, $purpose: MailPurpose! = GENERAL) {
  effectiveMailConfigChanged(libraryId: $libraryId, departmentId: $departmentId, purpose: $purpose) {
    revision stale servers { id name timeoutMs } sender { address formatted } problems { code severity } trace { field outcome }
  }
}`;

export type Result = ExecutionResult<Record<string, any>, Record<string, any>>;

/** How a subscription ended: completed by the server, or an error (a close event or GraphQL errors). */
export type Ending = { completed: true } | { error: any };

export interface OpenSubscription {
  /** The next result, in order; fails the test when none comes within `ms`. */
  next(ms?: number): Promise<Result>;
  /** Results received and not yet taken by next(). */
  readonly queued: number;
  readonly ended: Promise<Ending>;
  unsubscribe(): void;
}

export interface SubscriptionClient {
  client: Client;
  /** The first close of the socket, with its code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  subscribe(query: string, variables?: Record<string, unknown>): OpenSubscription;
  dispose(): Promise<void>;
}

/** A real graphql-ws client on ws://.../graphql; no retries, so a close is seen as it happened. */
export function connectSubscriptions(baseUrl: string, token: string | null, connectionParams?: Record<string, unknown>): SubscriptionClient {
  let closedWith: (event: { code: number; reason: string }) => void = () => undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (closedWith = resolve));
  const client = createClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: connectionParams ?? (token ? { authorization: `Bearer ${token}` } : {}),
    retryAttempts: 0,
    on: { closed: (event: any) => closedWith({ code: event?.code, reason: String(event?.reason ?? '') }) },
  });
  return {
    client,
    closed,
    subscribe: (query, variables = {}) => openSubscription(client, query, variables),
    dispose: () => Promise.resolve(client.dispose()),
  };
}

function openSubscription(client: Client, query: string, variables: Record<string, unknown>): OpenSubscription {
  const queue: Result[] = [];
  let wake: (() => void) | null = null;
  let end: (ending: Ending) => void = () => undefined;
  const ended = new Promise<Ending>((resolve) => (end = resolve));
  let finished = false;
  const unsubscribe = client.subscribe<Record<string, any>>(
    { query, variables },
    {
      next: (result) => {
        queue.push(result as Result);
        wake?.();
      },
      error: (error) => {
        finished = true;
        end({ error });
        wake?.();
      },
      complete: () => {
        finished = true;
        end({ completed: true });
        wake?.();
      },
    },
  );
  return {
    get queued() {
      return queue.length;
    },
    ended,
    unsubscribe,
    async next(ms = 5000) {
      const deadline = Date.now() + ms;
      while (queue.length === 0) {
        if (finished) throw new Error(`the subscription ended instead: ${JSON.stringify(await ended)}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no subscription update within ${ms} ms`);
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, left);
        });
        clearTimeout(timer);
        wake = null;
      }
      return queue.shift() as Result;
    },
  };
}

/** Waits until `condition` holds, checking every few milliseconds; fails after `ms`. */
export async function until(what: string, condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
