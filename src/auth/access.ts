import { AuthChecker } from 'type-graphql';
import { ForbiddenError, UnauthenticatedError } from '../common/errors';
import { CREDENTIALS_SCOPE, Identity, Role } from './identity';

/** The capabilities of SPEC.md's role matrix; operations name one of these, never raw roles. */
export enum Capability {
  READ_SERVERS = 'READ_SERVERS',
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
}

const MATRIX: Record<Capability, (identity: Identity) => boolean> = {
  [Capability.READ_SERVERS]: (i) => has(i, Role.SUPPORT) || has(i, Role.SERVICE),
  [Capability.WRITE_SERVERS]: (i) => has(i, Role.SUPPORT),
  [Capability.READ_LIBRARIES]: (i) => has(i, Role.SUPPORT) || has(i, Role.SERVICE) || has(i, Role.LIBRARY_ADMIN),
  [Capability.WRITE_LIBRARIES]: (i) => has(i, Role.SUPPORT),
  [Capability.EDIT_SENDER]: (i) => has(i, Role.SUPPORT) || has(i, Role.LIBRARY_ADMIN),
  [Capability.READ_SETTINGS]: (i) => has(i, Role.SUPPORT) || has(i, Role.SERVICE),
  [Capability.WRITE_SETTINGS]: (i) => has(i, Role.SUPPORT),
  [Capability.READ_EFFECTIVE]: (i) => has(i, Role.SUPPORT) || has(i, Role.SERVICE) || has(i, Role.LIBRARY_ADMIN),
  [Capability.READ_CREDENTIALS]: (i) => has(i, Role.SERVICE) && i.scopes.has(CREDENTIALS_SCOPE),
  [Capability.READ_AUDIT]: (i) => has(i, Role.SUPPORT) || has(i, Role.LIBRARY_ADMIN),
  [Capability.SEND_TEST_MAIL]: (i) => has(i, Role.SUPPORT) || has(i, Role.LIBRARY_ADMIN),
  [Capability.VERIFY_SERVERS]: (i) => has(i, Role.SUPPORT),
};

function has(identity: Identity, role: Role): boolean {
  return identity.roles.has(role);
}

export function requireIdentity(identity: Identity | null): Identity {
  if (!identity) throw new UnauthenticatedError();
  return identity;
}

export function can(identity: Identity, capability: Capability): boolean {
  return MATRIX[capability](identity);
}

export function requireCapability(identity: Identity | null, capability: Capability): Identity {
  const who = requireIdentity(identity);
  if (!can(who, capability)) throw new ForbiddenError(`Your roles do not allow ${capability.toLowerCase().replace(/_/g, ' ')}`);
  return who;
}

/**
 * True when the identity sees every library (support, service); false for a library-admin,
 * who sees only the libraries in the token.
 */
export function seesAllLibraries(identity: Identity): boolean {
  return has(identity, Role.SUPPORT) || has(identity, Role.SERVICE);
}

export function canAccessLibrary(identity: Identity, libraryId: number): boolean {
  return seesAllLibraries(identity) || (has(identity, Role.LIBRARY_ADMIN) && identity.libraries.has(libraryId));
}

export function requireLibraryAccess(identity: Identity, libraryId: number): void {
  if (!canAccessLibrary(identity, libraryId)) throw new ForbiddenError(`You may not access library ${libraryId}`);
}

/** Library-admins edit only their own libraries, and only what the matrix lets them. */
export function canEditAsSupport(identity: Identity): boolean {
  return has(identity, Role.SUPPORT);
}

export interface AuthContext {
  identity: Identity | null;
}

/** TypeGraphQL's @Authorized(capability) check; throws so the client gets our error codes. */
export const authChecker: AuthChecker<AuthContext, Capability> = ({ context }, capabilities) => {
  const identity = requireIdentity(context.identity);
  if (capabilities.length === 0 || capabilities.some((c) => can(identity, c))) return true;
  throw new ForbiddenError(`Your roles do not allow ${capabilities.map((c) => c.toLowerCase().replace(/_/g, ' ')).join(' or ')}`);
};
