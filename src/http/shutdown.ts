import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import { ErrorCode } from '../common/errors';
import { Logger } from '../common/logger';
import { errorBody, sendJson } from './http-error';

export interface ShutdownTimings {
  /**
   * How long idle keep-alive connections stay open after stop(): a client may already have
   * written its next request on one, and closing it at once would reset that request unanswered.
   */
  idleGraceMs: number;
  /** A request whose body has not fully arrived by then is cut (503, connection closed). */
  uploadGraceMs: number;
  /** Whatever is still open by then is closed, answered or not. */
  drainMs: number;
}

export const DEFAULT_SHUTDOWN_TIMINGS: ShutdownTimings = { idleGraceMs: 500, uploadGraceMs: 1000, drainMs: 6000 };

export interface TrackedRequest {
  readonly requestId: string;
  /** Set when shutdown cut the request, so its end is not mistaken for a client going away. */
  cutByShutdown: boolean;
}

interface Entry extends TrackedRequest {
  request: IncomingMessage;
  response: ServerResponse;
}

/**
 * Graceful stop of the HTTP server: stop accepting, answer what was sent on open connections with
 * `Connection: close`, close idle connections after a short grace, cut slow uploads, and never
 * wait past a deadline.
 */
export class HttpDrain {
  private readonly inFlight = new Set<Entry>();
  private closing = false;

  constructor(
    private readonly server: Server,
    private readonly logger: Logger,
    private readonly timings: ShutdownTimings = DEFAULT_SHUTDOWN_TIMINGS,
  ) {}

  track(request: IncomingMessage, response: ServerResponse, requestId: string): TrackedRequest {
    const entry: Entry = { request, response, requestId, cutByShutdown: false };
    this.inFlight.add(entry);
    response.once('close', () => this.inFlight.delete(entry));
    if (this.closing) response.setHeader('connection', 'close');
    return entry;
  }

  async stop(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    // net.Server's close, not http.Server's: the latter also closes idle connections at once.
    const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(this.server, () => resolve()));
    for (const entry of this.inFlight) if (!entry.response.headersSent) entry.response.setHeader('connection', 'close');
    let sweep: NodeJS.Timeout | undefined;
    const idle = setTimeout(() => {
      this.server.close();
      // A connection whose request is answered after this point is closed as soon as it is idle.
      sweep = setInterval(() => this.server.closeIdleConnections(), 50);
    }, this.timings.idleGraceMs);
    const uploads = setTimeout(() => this.cutUploads(), this.timings.uploadGraceMs);
    let deadline: NodeJS.Timeout | undefined;
    const expired = new Promise<boolean>((resolve) => (deadline = setTimeout(() => resolve(true), this.timings.drainMs)));
    const timedOut = await Promise.race([closed.then(() => false), expired]);
    if (timedOut) {
      this.logger.log('warn', 'connections cut at the shutdown deadline', { inFlightRequests: this.inFlight.size, drainMs: this.timings.drainMs });
      this.server.closeAllConnections();
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 200))]);
    }
    for (const timer of [idle, uploads, deadline]) clearTimeout(timer);
    clearInterval(sweep);
  }

  private cutUploads(): void {
    for (const entry of this.inFlight) {
      if (entry.request.complete) continue;
      entry.cutByShutdown = true;
      this.logger.log('warn', 'request body cut at shutdown', {
        requestId: entry.requestId,
        reason: `the body did not arrive within ${this.timings.uploadGraceMs} ms of shutdown`,
      });
      if (entry.response.headersSent) {
        entry.response.destroy();
      } else {
        // With Connection: close the socket is closed once this answer is written.
        sendJson(entry.response, 503, errorBody(ErrorCode.SERVICE_UNAVAILABLE, 'The server is shutting down'), true);
      }
    }
  }
}
