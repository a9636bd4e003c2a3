import { IncomingMessage, ServerResponse } from 'node:http';

/** Origins a browser application may call the gateway from; see CORS_ORIGINS. */
export interface CorsConfig {
  /** `scheme://host[:port]`, or `scheme://host:*` for any port of that host. */
  origins: string[];
}

/** Any port of localhost and 127.0.0.1: where a frontend's development server runs. */
export const DEVELOPMENT_CORS_ORIGINS = ['http://localhost:*', 'http://127.0.0.1:*'];

const ALLOW_METHODS = 'GET, POST, OPTIONS';
const ALLOW_HEADERS = 'authorization, content-type, apollo-require-preflight, if-none-match, x-request-id';
const EXPOSE_HEADERS = 'ETag, x-request-id';
/** Chromium caps a preflight's lifetime at two hours; ten minutes keeps a changed list effective soon. */
const MAX_AGE_SECONDS = '600';

type OriginPattern = { exact: string } | { protocol: string; hostname: string };

/**
 * Parses one CORS_ORIGINS entry; null when it is not a bare origin. A path, query or user part is
 * refused rather than ignored: a browser never sends one, so such an entry could never match.
 */
export function parseOriginPattern(raw: string): OriginPattern | null {
  const anyPort = raw.endsWith(':*');
  let url: URL;
  try {
    url = new URL(anyPort ? raw.slice(0, -2) : raw);
  } catch {
    return null;
  }
  if (!/^https?:$/.test(url.protocol) || url.username || url.password || url.search || url.hash) return null;
  if (!/^[a-z]+:\/\/[^/?#]+\/?$/i.test(raw)) return null;
  if (anyPort) return url.port ? null : { protocol: url.protocol, hostname: url.hostname };
  return { exact: url.origin };
}

/** The request's Origin when it is a well-formed serialized origin (not "null", not a URL with a path). */
function originOf(request: IncomingMessage): URL | null {
  const origin = request.headers.origin;
  if (typeof origin !== 'string') return null;
  try {
    const url = new URL(origin);
    return url.origin === origin ? url : null;
  } catch {
    return null;
  }
}

function matches(patterns: OriginPattern[], origin: URL): boolean {
  return patterns.some((p) => ('exact' in p ? p.exact === origin.origin : p.protocol === origin.protocol && p.hostname === origin.hostname));
}

/**
 * Sets the CORS headers on every answer to an allowed origin (set on the response before the
 * route runs, so errors and cached answers carry them too, computed for this request's origin)
 * and answers OPTIONS itself: a preflight carries no token and is not a GraphQL request. An origin
 * not listed gets no CORS headers at all, so the browser refuses the answer. Returns true when the
 * request has been answered.
 */
export function createCors(config: CorsConfig): (request: IncomingMessage, response: ServerResponse) => boolean {
  const patterns = config.origins.map(parseOriginPattern).filter((p): p is OriginPattern => p !== null);
  return (request, response) => {
    // Whether the answer carries CORS headers depends on Origin, so any shared cache must key on it.
    response.setHeader('vary', 'Origin');
    const origin = originOf(request);
    const allowed = origin !== null && matches(patterns, origin);
    if (allowed) {
      response.setHeader('access-control-allow-origin', origin.origin);
      response.setHeader('access-control-expose-headers', EXPOSE_HEADERS);
    }
    if (request.method !== 'OPTIONS') return false;
    if (allowed) {
      response.setHeader('access-control-allow-methods', ALLOW_METHODS);
      response.setHeader('access-control-allow-headers', ALLOW_HEADERS);
      response.setHeader('access-control-max-age', MAX_AGE_SECONDS);
    }
    response.writeHead(204, { allow: ALLOW_METHODS });
    response.end();
    return true;
  };
}

/**
 * Whether a WebSocket upgrade may be accepted, by the CORS policy: browsers apply no CORS to
 * WebSocket, so the Origin they send is checked here. No Origin (a service, not a browser), a
 * listed origin, or the gateway's own origin (Origin's host is the Host header) is accepted; any
 * other origin, and a malformed or "null" one, is refused as its HTTP requests would be unreadable.
 */
export function createUpgradeOriginCheck(config: CorsConfig): (request: IncomingMessage) => boolean {
  const patterns = config.origins.map(parseOriginPattern).filter((p): p is OriginPattern => p !== null);
  return (request) => {
    if (request.headers.origin === undefined) return true;
    const origin = originOf(request);
    if (origin === null) return false;
    return matches(patterns, origin) || (typeof request.headers.host === 'string' && origin.host === request.headers.host.toLowerCase());
  };
}
