import { connect, Socket } from 'node:net';

export interface RawAnswer {
  /** Status of the first response, null when none arrived. */
  status: number | null;
  /** Everything the server wrote, as latin1 text. */
  text: string;
  /** The server closed the connection (FIN or reset) before our timeout. */
  closedByServer: boolean;
}

/** Parses the status code of the first HTTP response in `text`. */
export function statusOf(text: string): number | null {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  return match ? Number(match[1]) : null;
}

/**
 * Writes raw bytes on a fresh TCP connection and collects what comes back until the server closes
 * it, a complete response has arrived (`stopAfterResponse`), or `timeoutMs` passes.
 */
export function rawExchange(
  port: number,
  payload: Buffer | string,
  options: { timeoutMs?: number; stopAfterResponse?: boolean; half?: boolean } = {},
): Promise<RawAnswer> {
  const { timeoutMs = 2000, stopAfterResponse = true, half = false } = options;
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: statusOf(text), text, closedByServer });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (stopAfterResponse && responseComplete(text)) finish(false);
    });
    socket.once('connect', () => {
      socket.write(payload);
      if (half) socket.end();
    });
  });
}

/** The length of the first whole response in `text` (head and body), or null while incomplete. */
function responseLength(text: string): { head: string; body: string; length: number } | null {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = text.slice(0, end);
  const start = end + 4;
  const length = /\r\ncontent-length: *(\d+)/i.exec(head);
  if (length)
    return text.length - start >= Number(length[1]) ? { head, body: text.slice(start, start + Number(length[1])), length: start + Number(length[1]) } : null;
  if (!/\r\ntransfer-encoding: *chunked/i.test(head)) return null;
  let body = '';
  for (let at = start; ;) {
    const lineEnd = text.indexOf('\r\n', at);
    if (lineEnd < 0) return null;
    const size = parseInt(text.slice(at, lineEnd), 16);
    if (size === 0) return text.startsWith('\r\n', lineEnd + 2) ? { head, body, length: lineEnd + 4 } : null;
    if (text.length < lineEnd + 2 + size + 2) return null;
    body += text.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

/** True once `text` holds a whole response (Content-Length or chunked body). */
export function responseComplete(text: string): boolean {
  return responseLength(text) !== null;
}

/** A kept-alive connection on which requests are written one at a time. */
export class RawConnection {
  private buffer = '';
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('latin1');
      this.wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  write(payload: string): void {
    this.socket.write(payload);
  }

  /** The next whole response's head and body, or null when the connection closed without one. */
  async response(timeoutMs = 5000): Promise<{ status: number | null; head: string; body: string } | null> {
    const deadline = Date.now() + timeoutMs;
    while (!responseComplete(this.buffer)) {
      if (this.closed || Date.now() > deadline) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const { head, body, length } = responseLength(this.buffer)!;
    this.buffer = this.buffer.slice(length);
    return { status: statusOf(head), head, body };
  }

  /** Resolves true when the server closes the connection within `timeoutMs`. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
