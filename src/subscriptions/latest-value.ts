/**
 * An async iterator that hands out the newest value offered. A value not yet taken is replaced by
 * a newer one rather than queued, so a slow reader holds one pending update, never a backlog, and
 * what it reads next is always the current state.
 */
export class LatestValue<T> implements AsyncIterableIterator<T> {
  private pending: { value: T } | null = null;
  private waiting: ((result: IteratorResult<T>) => void) | null = null;
  /** The last value offered ends the stream once it has been read. */
  private lastOffered = false;
  private done = false;

  /** `onEnd` runs once, when the stream ends for whatever reason. */
  constructor(private readonly onEnd: () => void) {}

  get ended(): boolean {
    return this.done;
  }

  offer(value: T, last = false): void {
    if (this.done || this.lastOffered) return;
    this.lastOffered = last;
    if (this.waiting) {
      const waiting = this.waiting;
      this.waiting = null;
      waiting({ value, done: false });
    } else {
      this.pending = { value };
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.pending) {
      const { value } = this.pending;
      this.pending = null;
      return Promise.resolve({ value, done: false });
    }
    if (this.done || this.lastOffered) return this.return();
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.pending = null;
    if (!this.done) {
      this.done = true;
      this.onEnd();
    }
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    void this.return();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
