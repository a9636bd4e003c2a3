import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { GatewayError, GatewayErrorDetail } from './errors';
import { followSubscription, type SubscriptionOptions } from './subscription';

/** An async iterator that can also be closed from outside a for-await loop. */
export interface Watch<T> extends AsyncIterableIterator<T> {
  close(): void;
}

/**
 * Events received and not yet read that are kept. The gateway sends a slow reader no backlog, so
 * more only pile up when the loop stops reading or a peer floods; each event is a whole
 * configuration, so the oldest ones are the ones that can go.
 */
export const MAX_UNREAD_EVENTS = 100;

/**
 * The events of a subscription as an async iterator: connects on the first `next()`, yields every
 * event in order (of more than MAX_UNREAD_EVENTS unread, the newest), throws the error that ended
 * it, and closes on `return()` (a `break` out of for-await) or `close()`.
 */
export function watchSubscription<TData, TVariables, T>(
  options: SubscriptionOptions,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  map: (data: TData | null, errors: GatewayErrorDetail[]) => T,
): Watch<T> {
  const values: T[] = [];
  const waiting: Array<{ resolve(result: IteratorResult<T>): void; reject(error: unknown): void }> = [];
  let ended: { error: GatewayError | null } | null = null;
  let subscription: { close(): void } | null = null;

  const settle = () => {
    while (waiting.length > 0 && (values.length > 0 || ended)) {
      const next = waiting.shift()!;
      if (values.length > 0) next.resolve({ value: values.shift()!, done: false });
      else if (ended?.error) {
        next.reject(ended.error);
        ended = { error: null };
      } else next.resolve({ value: undefined, done: true });
    }
  };
  const start = () => {
    subscription ??= followSubscription(options, document, variables, {
      next: (data, errors) => {
        values.push(map(data, errors));
        if (values.length > MAX_UNREAD_EVENTS) values.shift();
        settle();
      },
      end: (error) => {
        ended ??= { error };
        settle();
      },
    });
  };
  const close = () => {
    ended ??= { error: null };
    values.length = 0;
    subscription?.close();
    settle();
  };

  const watch: Watch<T> = {
    next() {
      if (!ended) start();
      return new Promise<IteratorResult<T>>((resolve, reject) => {
        waiting.push({ resolve, reject });
        settle();
      });
    },
    return() {
      close();
      return Promise.resolve({ value: undefined, done: true });
    },
    close,
    [Symbol.asyncIterator]() {
      return watch;
    },
  };
  return watch;
}
