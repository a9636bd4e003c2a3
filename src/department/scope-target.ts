import { Capability, requireLibraryScope } from '../auth/access';
import { Identity } from '../auth/identity';
import { BadInputError, NotFoundError } from '../common/errors';
import { parseId } from '../common/text';
import { Library } from '../library/library.entity';
import { Department } from './department.entity';

export interface ScopeTarget {
  library: Library | null;
  department: Department | null;
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
  rawLibraryId: string | null | undefined,
  rawDepartmentId: string | null | undefined,
): Promise<ScopeTarget> {
  const libraryId = rawLibraryId == null ? null : parseId(rawLibraryId);
  if (rawLibraryId != null) requireLibraryScope(identity, capability, libraryId);
  const department = rawDepartmentId == null ? null : await loadDepartment(loaders, identity, capability, rawDepartmentId);
  let library = null;
  if (rawLibraryId != null) {
    library = libraryId === null ? null : await loaders.libraryById.load(libraryId);
    if (!library) throw new NotFoundError('Library', rawLibraryId);
  }
  if (department && library && department.libraryId !== library.id) {
    throw new BadInputError('departmentId', `Department ${department.id} belongs to another library than library ${library.id}`);
  }
  if (department && !library) library = await loaders.libraryById.load(department.libraryId);
  return { library, department };
}

async function loadDepartment(loaders: TargetLoaders, identity: Identity, capability: Capability, raw: string): Promise<Department> {
  const id = parseId(raw);
  const department = id === null ? null : await loaders.departmentById.load(id);
  requireLibraryScope(identity, capability, department?.libraryId ?? null);
  if (!department) throw new NotFoundError('Department', raw);
  return department;
}
