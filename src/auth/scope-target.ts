import { BadInputError, NotFoundError } from '../common/errors';
import { loadById, loadOrNotFound } from '../common/load-or-not-found';
import { parseId } from '../common/text';
import { Department } from '../department/department.entity';
import { Library } from '../library/library.entity';
import { Capability, requireLibraryScope } from './access';
import { Identity } from './identity';

export interface ScopeTarget {
  library: Library | null;
  department: Department | null;
}

/** A target named by a library id: its library always exists. */
export interface LibraryTarget extends ScopeTarget {
  library: Library;
}

interface TargetLoaders {
  libraryById: { load(id: number): Promise<Library | null> };
  departmentById: { load(id: number): Promise<Department | null> };
}

/**
 * Turns the library/department ids of a request into rows for one capability. Access comes
 * first: for an identity whose capability reaches only some libraries, an id outside them is
 * FORBIDDEN whether or not it exists, and nothing is said about how the two relate. Then unknown
 * ids are NOT_FOUND and a department of another library is BAD_USER_INPUT. A department alone
 * implies its library.
 */
export async function loadScopeTarget(
  loaders: TargetLoaders,
  identity: Identity,
  capability: Capability,
  rawLibraryId: string,
  rawDepartmentId: string | null | undefined,
): Promise<LibraryTarget>;
export async function loadScopeTarget(
  loaders: TargetLoaders,
  identity: Identity,
  capability: Capability,
  rawLibraryId: string | null | undefined,
  rawDepartmentId: string | null | undefined,
): Promise<ScopeTarget>;
export async function loadScopeTarget(
  loaders: TargetLoaders,
  identity: Identity,
  capability: Capability,
  rawLibraryId: string | null | undefined,
  rawDepartmentId: string | null | undefined,
): Promise<ScopeTarget> {
  if (rawLibraryId != null) requireLibraryScope(identity, capability, parseId(rawLibraryId));
  const department = rawDepartmentId == null ? null : await loadDepartment(loaders, identity, capability, rawDepartmentId);
  const library = rawLibraryId == null ? null : await loadOrNotFound(loaders.libraryById, 'Library', rawLibraryId);
  if (department && library && department.libraryId !== library.id) {
    throw new BadInputError('departmentId', `Department ${department.id} belongs to another library than library ${library.id}`);
  }
  if (department && !library) return { library: await loaders.libraryById.load(department.libraryId), department };
  return { library, department };
}

async function loadDepartment(loaders: TargetLoaders, identity: Identity, capability: Capability, raw: string): Promise<Department> {
  const department = await loadById(loaders.departmentById, raw);
  requireLibraryScope(identity, capability, department?.libraryId ?? null);
  if (!department) throw new NotFoundError('Department', raw);
  return department;
}
