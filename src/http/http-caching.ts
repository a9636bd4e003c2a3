import { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * A tagged answer depends on the token and the accept header, so only the caller's own cache may
 * keep it, and must ask again each time: a revoked token or a write elsewhere is seen at once.
 */
const TAGGED = { 'cache-control': 'private, no-cache', vary: 'Accept, Authorization' };
/** A GET answer without a tag (errors, secrets, anything live) is kept by no cache at all. */
const UNTAGGED = { 'cache-control': 'no-store' };

const JSON_BODY = /^application\/json\b/i;
/** What Apollo accepts as the content type of a GET (the essence must be application/json). */
const JSON_TYPE = /^application\/json\s*(;|$)/i;

function present(value: string | string[] | undefined): boolean {
  return typeof value === 'string' ? value.length > 0 : Array.isArray(value) && value.length > 0;
}

/**
 * Whether a request may be answered without Apollo (from the response cache, or 304): only when
 * Apollo would accept it as it came. A JSON POST passes CSRF prevention by its content type; a GET
 * needs a JSON content type or a non-empty `apollo-require-preflight` / `x-apollo-operation-name`
 * header, which a browser sends cross-origin only after a preflight.
 */
export function mayAnswerWithoutApollo(request: IncomingMessage): boolean {
  const type = request.headers['content-type'];
  if (request.method === 'POST') return JSON_BODY.test(type ?? '');
  if (request.method !== 'GET') return false;
  if (type !== undefined) return JSON_TYPE.test(type);
  return present(request.headers['apollo-require-preflight']) || present(request.headers['x-apollo-operation-name']);
}

export function taggedHeaders(headers: Record<string, string>, etag: string): Record<string, string> {
  return { ...headers, ...TAGGED, etag };
}

/** Apollo's own cache-control (persisted-query errors carry one) is kept. */
export function untaggedHeaders(headers: Record<string, string>): Record<string, string> {
  return { ...UNTAGGED, ...headers };
}

/** Headers passed to writeHead replace those set before; Vary keeps what CORS set (Origin) and adds its own. */
function writeHead(response: ServerResponse, status: number, headers: OutgoingHttpHeaders): void {
  const before = response.getHeader('vary');
  if (headers.vary && before) headers = { ...headers, vary: `${String(before)}, ${String(headers.vary)}` };
  response.writeHead(status, headers);
}

export function sendAnswer(response: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer): void {
  writeHead(response, status, headers);
  response.end(body);
}

/** RFC 9110 15.4.5: the tag and the caching headers a 200 would have had, no body. */
export function sendNotModified(response: ServerResponse, etag: string): void {
  writeHead(response, 304, { ...TAGGED, etag });
  response.end();
}
