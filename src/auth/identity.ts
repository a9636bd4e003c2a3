export enum Role {
  SUPPORT = 'support',
  LIBRARY_ADMIN = 'library-admin',
  SERVICE = 'service',
}

export const CREDENTIALS_SCOPE = 'mail:credentials';

/** Who is calling, taken from a verified token (API.md, "Transport, identity, configuration"). */
export interface Identity {
  sub: string;
  name: string | null;
  roles: ReadonlySet<Role>;
  /** Libraries a library-admin may manage. */
  libraries: ReadonlySet<number>;
  scopes: ReadonlySet<string>;
}

/** A token the gateway refuses; the message is safe to show: it names a claim, never its value. */
export class InvalidTokenError extends Error {
  constructor(message = 'The bearer token is invalid or expired') {
    super(message);
  }
}

export function invalidClaim(claim: string, rule: string): InvalidTokenError {
  return new InvalidTokenError(`The bearer token is invalid: claim "${claim}" ${rule}`);
}

const MAX_LIBRARY_ID = 2147483647;
const DECIMAL_ID = /^[1-9][0-9]{0,9}$/;

/**
 * A library id as a provider may write it: a positive integer, or the same in decimal digits.
 * Anything looser (`true`, "0x1", "1e0", " 1 ", [1]) would widen a grant by coercion, so it is
 * no id at all.
 */
function libraryId(value: unknown): number | null {
  const id = typeof value === 'number' ? value : typeof value === 'string' && DECIMAL_ID.test(value) ? Number(value) : NaN;
  return Number.isInteger(id) && id > 0 && id <= MAX_LIBRARY_ID ? id : null;
}

function optionalString(claims: Record<string, unknown>, claim: string): string | undefined {
  const value = claims[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidClaim(claim, 'must be a string');
  return value;
}

function stringList(claims: Record<string, unknown>, claim: string): string[] {
  const value = claims[claim];
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw invalidClaim(claim, 'must be an array of strings');
  return value;
}

function libraryList(claims: Record<string, unknown>): number[] {
  const value = claims.libraries;
  if (value === undefined) return [];
  const rule = 'must be an array of library ids (positive integers, as numbers or decimal strings)';
  if (!Array.isArray(value)) throw invalidClaim('libraries', rule);
  return value.map((entry) => {
    const id = libraryId(entry);
    if (id === null) throw invalidClaim('libraries', rule);
    return id;
  });
}

/**
 * The identity a verified token's claims describe. A claim of the wrong type makes the whole
 * token invalid rather than being dropped, so a provider's mistake is seen at once instead of
 * quietly granting less, or more, than meant. Role names the gateway does not know are ignored:
 * a provider may issue roles for other applications in the same claim.
 */
export function identityFromClaims(claims: Record<string, unknown>): Identity {
  const knownRoles = new Set<string>(Object.values(Role));
  const roles = stringList(claims, 'roles').filter((r): r is Role => knownRoles.has(r));
  const libraries = libraryList(claims);
  const scopes = (optionalString(claims, 'scope') ?? '').split(' ').filter(Boolean);
  const sub = optionalString(claims, 'sub');
  return {
    sub: sub || 'unknown',
    name: optionalString(claims, 'name') ?? null,
    roles: new Set(roles),
    libraries: new Set(libraries),
    scopes: new Set(scopes),
  };
}
