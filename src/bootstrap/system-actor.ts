import { Identity, Role } from '../auth/identity';

/** Who is recorded as updatedBy for what start-up itself writes. */
export const SYSTEM_ACTOR: Identity = {
  sub: 'system',
  name: 'Start-up',
  roles: new Set([Role.SUPPORT]),
  libraries: new Set(),
  scopes: new Set(),
};
