import { ServerResponse } from 'node:http';

/** A refusal answered with a status and a GraphQL-shaped error body, never a crash. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly closeConnection = false,
  ) {
    super(message);
  }
}

export function errorBody(code: string, message: string) {
  return { errors: [{ message, extensions: { code } }] };
}

export function sendJson(response: ServerResponse, status: number, body: unknown, closeConnection = status === 413): void {
  const text = JSON.stringify(body);
  const close = closeConnection ? { connection: 'close' } : {};
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...close });
  response.end(text);
}
