import { requireLibraryAccess } from '../auth/access';
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
 * Turns the library/department ids of a query into rows: unknown ones are NOT_FOUND, a
 * department of another library is BAD_USER_INPUT, and a library-admin may only name own ones.
 * A department alone implies its library.
 */
export async function loadScopeTarget(
  loaders: TargetLoaders,
  identity: Identity,
  rawLibraryId: string | null | undefined,
  rawDepartmentId: string | null | undefined,
): Promise<ScopeTarget> {
  const load = async <T>(raw: string, type: string, loader: { load(id: number): Promise<T | null> }): Promise<T> => {
    const id = parseId(raw);
    const row = id === null ? null : await loader.load(id);
    if (!row) throw new NotFoundError(type, raw);
    return row;
  };
  const department = rawDepartmentId == null ? null : await load(rawDepartmentId, 'Department', loaders.departmentById);
  let library = rawLibraryId == null ? null : await load(rawLibraryId, 'Library', loaders.libraryById);
  if (department && library && department.libraryId !== library.id) {
    throw new BadInputError('departmentId', `Department ${department.id} belongs to another library than library ${library.id}`);
  }
  if (department && !library) library = await loaders.libraryById.load(department.libraryId);
  if (library) requireLibraryAccess(identity, library.id);
  return { library, department };
}
