import { AuthChecker } from 'type-graphql';
import { ForbiddenError, UnauthenticatedError } from '../common/errors';
import { CREDENTIALS_SCOPE, Identity, Role } from './identity';

/** The capabilities of SPEC.md's role matrix; operations name one of these, never raw roles. */
export enum Capability {
  /** Every server with every field (username, updatedBy, trusted CA); not the credentials. */
  READ_SERVERS = 'READ_SERVERS',
  /** The servers of the chains of the libraries one may read, without their sensitive fields. */
  READ_CHAIN_SERVERS = 'READ_CHAIN_SERVERS',
  WRITE_SERVERS = 'WRITE_SERVERS',
  READ_LIBRARIES = 'READ_LIBRARIES',
  WRITE_LIBRARIES = 'WRITE_LIBRARIES',
  EDIT_SENDER = 'EDIT_SENDER',
  READ_SETTINGS = 'READ_SETTINGS',
  WRITE_SETTINGS = 'WRITE_SETTINGS',
  READ_EFFECTIVE = 'READ_EFFECTIVE',
  READ_CREDENTIALS = 'READ_CREDENTIALS',
  READ_AUDIT = 'READ_AUDIT',
  SEND_TEST_MAIL = 'SEND_TEST_MAIL',
  VERIFY_SERVERS = 'VERIFY_SERVERS',
  READ_MAIL_HEALTH = 'READ_MAIL_HEALTH',
  /** Undo a configuration revision: it rewrites any record, servers and settings included. */
  REVERT_CHANGES = 'REVERT_CHANGES',
}

/** Which libraries a capability reaches: every one, those listed, or none at all. */
export type Scope = 'all' | ReadonlySet<number> | 'none';

/** What one role alone grants: every library, only the token's libraries, or nothing. */
type Grant = 'all' | 'own' | 'none';

// prettier-ignore
const MATRIX: Record<Capability, Record<Role, Grant>> = {
  //                                  support          library-admin                 service
  [Capability.READ_SERVERS]:       { support: 'all', 'library-admin': 'none', service: 'all' },
  [Capability.READ_CHAIN_SERVERS]: { support: 'all', 'library-admin': 'own',  service: 'all' },
  [Capability.WRITE_SERVERS]:      { support: 'all', 'library-admin': 'none', service: 'none' },
  [Capability.READ_LIBRARIES]:     { support: 'all', 'library-admin': 'own',  service: 'all' },
  [Capability.WRITE_LIBRARIES]:    { support: 'all', 'library-admin': 'none', service: 'none' },
  [Capability.EDIT_SENDER]:        { support: 'all', 'library-admin': 'own',  service: 'none' },
  [Capability.READ_SETTINGS]:      { support: 'all', 'library-admin': 'none', service: 'all' },
  [Capability.WRITE_SETTINGS]:     { support: 'all', 'library-admin': 'none', service: 'none' },
  [Capability.READ_EFFECTIVE]:     { support: 'all', 'library-admin': 'own',  service: 'all' },
  [Capability.READ_CREDENTIALS]:   { support: 'none', 'library-admin': 'none', service: 'all' },
  [Capability.READ_AUDIT]:         { support: 'all', 'library-admin': 'own',  service: 'none' },
  [Capability.SEND_TEST_MAIL]:     { support: 'all', 'library-admin': 'own',  service: 'none' },
  [Capability.VERIFY_SERVERS]:     { support: 'all', 'library-admin': 'none', service: 'none' },
  [Capability.READ_MAIL_HEALTH]:   { support: 'all', 'library-admin': 'own',  service: 'none' },
  [Capability.REVERT_CHANGES]:     { support: 'all', 'library-admin': 'none', service: 'none' },
};

/** Grants that need more than the role (the credentials scope for decrypted settings). */
function grantOf(identity: Identity, capability: Capability, role: Role): Grant {
  if (capability === Capability.READ_CREDENTIALS && !identity.scopes.has(CREDENTIALS_SCOPE)) return 'none';
  return MATRIX[capability][role];
}

/**
 * The libraries a capability reaches for this identity: the union of what each of its roles
 * alone grants. Roles never add up across capabilities, so the "all" that `service` has for
 * reading does not widen what a `library-admin` may write, send or audit.
 */
export function scopeOf(identity: Identity, capability: Capability): Scope {
  let own = false;
  for (const role of identity.roles) {
    const grant = grantOf(identity, capability, role);
    if (grant === 'all') return 'all';
    if (grant === 'own') own = true;
  }
  return own ? identity.libraries : 'none';
}

/** True when the scope covers the library; an unknown library (null) is covered only by "all". */
export function inScope(scope: Scope, libraryId: number | null): boolean {
  if (scope === 'all') return true;
  if (scope === 'none' || libraryId === null) return false;
  return scope.has(libraryId);
}

export function requireIdentity(identity: Identity | null): Identity {
  if (!identity) throw new UnauthenticatedError();
  return identity;
}

/** Whether any role grants the capability at all (for some library, possibly none in the token). */
export function can(identity: Identity, capability: Capability): boolean {
  return scopeOf(identity, capability) !== 'none';
}

/**
 * Refuses a library outside the capability's scope. The library is given by id before it is
 * looked up (null when it does not exist or the id is malformed), so a scoped identity gets the
 * same FORBIDDEN for a library it may not see and for one that does not exist.
 */
export function requireLibraryScope(identity: Identity, capability: Capability, libraryId: number | null): void {
  if (!inScope(scopeOf(identity, capability), libraryId)) {
    throw new ForbiddenError(`Your roles do not allow ${describe([capability])} for this library`);
  }
}

/**
 * An edit of a library's own record or of one of its departments: a role that writes libraries
 * may change any field; one that only edits senders may change `senderFields` alone, for a library
 * in its scope. Decided from the library id before anything is said about the record.
 */
export function requireRecordEdit(identity: Identity, libraryId: number | null, input: object, senderFields: ReadonlySet<string>): void {
  if (inScope(scopeOf(identity, Capability.WRITE_LIBRARIES), libraryId)) return;
  requireLibraryScope(identity, Capability.EDIT_SENDER, libraryId);
  // omitted and undefined fields are left unchanged, so only the fields given count
  const denied = Object.entries(input).find(([field, value]) => value !== undefined && !senderFields.has(field));
  if (denied) throw new ForbiddenError(`Only support staff may change ${denied[0]}`);
}

export interface AuthContext {
  identity: Identity | null;
}

function describe(capabilities: Capability[]): string {
  return capabilities.map((c) => c.toLowerCase().replace(/_/g, ' ')).join(' or ');
}

/** TypeGraphQL's @Authorized(capability) check; throws so the client gets our error codes. */
export const authChecker: AuthChecker<AuthContext, Capability> = ({ context }, capabilities) => {
  const identity = requireIdentity(context.identity);
  if (capabilities.length === 0 || capabilities.some((c) => can(identity, c))) return true;
  if (capabilities.includes(Capability.READ_CREDENTIALS) && [...identity.roles].some((role) => MATRIX[Capability.READ_CREDENTIALS][role] !== 'none')) {
    // The role is right and only the scope is missing: say which scope, so the fix is obvious.
    throw new ForbiddenError(`Reading decrypted transport settings requires the ${CREDENTIALS_SCOPE} scope`);
  }
  throw new ForbiddenError(`Your roles do not allow ${describe(capabilities)}`);
};
