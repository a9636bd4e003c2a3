import { IncomingMessage } from 'node:http';
import { HttpError } from './http-error';

/** The client closed the connection before its request was complete: its choice, not our failure. */
export class ClientGoneError extends Error {
  constructor() {
    super('The client closed the connection before the request was complete');
  }
}

/** How much of an oversized body is drained (so the client reads its 413) before the connection is cut. */
const DRAIN_FACTOR = 4;

function declaredLength(request: IncomingMessage): number | null {
  const header = request.headers['content-length'];
  return header !== undefined && /^\d+$/.test(header) ? Number(header) : null;
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, 'BAD_REQUEST', `Request body larger than ${maxBytes} bytes`, true);
}

/**
 * Reads the body up to `maxBytes`. Past the limit the rest is drained rather than the socket
 * destroyed, so the client reads the 413; a declared Content-Length over the limit is refused
 * before a byte is read.
 */
export function readBody(request: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = declaredLength(request);
    if (declared !== null && declared > maxBytes) {
      discardBody(request, DRAIN_FACTOR * maxBytes);
      reject(tooLarge(maxBytes));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        request.off('data', onData);
        discardBody(request, DRAIN_FACTOR * maxBytes);
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', () => reject(new ClientGoneError()));
    request.once('close', () => {
      if (!request.complete) reject(new ClientGoneError());
    });
  });
}

/**
 * For a request refused before its body is read: a small body (up to `drainBytes`, declared) is
 * thrown away so the connection serves the next request; anything larger or of unknown length is
 * not read at all, and the answer must close the connection (returns true).
 */
export function refuseBody(request: IncomingMessage, drainBytes: number): boolean {
  request.on('error', () => undefined);
  if (request.complete) return false;
  const declared = declaredLength(request);
  if (declared !== null && declared <= drainBytes) {
    discardBody(request, drainBytes);
    return false;
  }
  return true;
}

/**
 * Throws the body away unread (no copy, no parse) so the connection can serve its next request;
 * a client that sends more than `maxBytes` loses the connection instead.
 */
export function discardBody(request: IncomingMessage, maxBytes: number): void {
  request.on('error', () => undefined);
  if (request.complete) return;
  let size = 0;
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBytes) {
      request.off('data', onData);
      request.socket.destroy();
    }
  };
  request.on('data', onData);
}
