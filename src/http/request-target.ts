import { HttpError } from './http-error';

const BASE = 'http://gateway.invalid';
/** A '%' not followed by two hex digits (RFC 3986 pct-encoded). */
const BROKEN_PERCENT = /%(?![0-9A-Fa-f]{2})/;

function malformed(message: string): HttpError {
  return new HttpError(400, 'BAD_REQUEST', message);
}

/**
 * The request target as a URL, or a 400. A target is read as a path on this server, never as a
 * reference to another authority: `new URL('//x:99999/', base)` would parse "x:99999" as a host
 * and throw, and a throw here once took the whole process down.
 */
export function parseRequestTarget(raw: string | undefined): URL {
  const target = raw ?? '/';
  if (/^https?:\/\//i.test(target)) {
    // Absolute form (RFC 9112, 3.2.2): only its path and query matter here.
    let absolute: URL;
    try {
      absolute = new URL(target);
    } catch {
      throw malformed('The request target is not a valid URL');
    }
    return parseRequestTarget(`${absolute.pathname}${absolute.search}`);
  }
  if (!target.startsWith('/') || target.startsWith('//')) throw malformed('The request target must be a path starting with a single "/"');
  if (BROKEN_PERCENT.test(target)) throw malformed('The request target has a "%" that is not followed by two hex digits');
  try {
    return new URL(`${BASE}${target}`);
  } catch {
    throw malformed('The request target is not a valid URL');
  }
}
