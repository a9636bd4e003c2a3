/** Close codes of the WebSocket connection on /graphql (graphql-ws uses 44xx for the client's faults). */
export enum CloseCode {
  /** The gateway is shutting down; reconnect to another instance or later. */
  GOING_AWAY = 1001,
  INTERNAL_ERROR = 1011,
  /** A message the protocol does not allow from a client. */
  BAD_REQUEST = 4400,
  /** No token, a malformed or invalid one, or the token expired while connected. */
  UNAUTHORIZED = 4401,
  /** A valid token whose roles may not subscribe to anything. */
  FORBIDDEN = 4403,
}

/** A close reason is at most 123 bytes (RFC 6455); longer ones would make the close itself fail. */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= 123) return text;
  let cut = text.slice(0, 120);
  while (Buffer.byteLength(`${cut}...`) > 123) cut = cut.slice(0, -1);
  return `${cut}...`;
}
