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

export function identityFromClaims(claims: Record<string, unknown>): Identity {
  const knownRoles = new Set<string>(Object.values(Role));
  const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is Role => typeof r === 'string' && knownRoles.has(r)) : [];
  const libraries = Array.isArray(claims.libraries)
    ? claims.libraries.map((l) => Number(l)).filter((l) => Number.isInteger(l) && l > 0)
    : [];
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
  return {
    sub: typeof claims.sub === 'string' && claims.sub ? claims.sub : 'unknown',
    name: typeof claims.name === 'string' ? claims.name : null,
    roles: new Set(roles),
    libraries: new Set(libraries),
    scopes: new Set(scopes),
  };
}
