import { Scope } from '../auth/access';
import { Connection, ConnectionType, CursorShape, Key, PageRequest, pageOfSorted, pageRequest, sortByKey } from '../common/connection';
import { cachedSearchKey, searchTerm } from '../common/search-text';
import { keysetPage } from '../database/keyset-page';
import type { ListDeps } from '../common/list-deps';
import { perSnapshot } from '../snapshot/per-snapshot';
import type { ConfigSnapshot } from '../snapshot/config-snapshot';
import { Department } from './department.entity';

export interface DepartmentListArgs {
  first?: number | null;
  after?: string | null;
  search?: string | null;
  hasProblems?: boolean | null;
}

export const DepartmentConnection = ConnectionType(Department, 'Department');

const SHAPE: CursorShape = { list: 'department', kinds: ['s', 'n'] };
const keyOf = (department: Department): Key => [department.name, department.id];
const searchFields = (d: Department) => [d.name, d.email];

function sortedOfLibrary(snapshot: ConfigSnapshot, libraryId: number): readonly Department[] {
  const byLibrary = perSnapshot(snapshot, 'departments of a library by name', () => new Map<number, Department[]>());
  let sorted = byLibrary.get(libraryId);
  if (!sorted) {
    sorted = sortByKey(snapshot.departmentsByLibrary.get(libraryId) ?? [], keyOf);
    byLibrary.set(libraryId, sorted);
  }
  return sorted;
}

/** The departments of the libraries in scope, by name then id. */
async function sortedInScope(deps: ListDeps, scope: Exclude<Scope, 'none'>): Promise<readonly Department[]> {
  const snapshot = deps.loaders.snapshot;
  if (snapshot) {
    if (scope === 'all') return perSnapshot(snapshot, 'departments by name', () => sortByKey([...snapshot.departments.values()], keyOf));
    if (scope.size === 1) return sortedOfLibrary(snapshot, [...scope][0]);
    return sortByKey(
      [...scope].flatMap((id) => sortedOfLibrary(snapshot, id)),
      keyOf,
    );
  }
  const query = deps.dataSource.getRepository(Department).createQueryBuilder('department');
  if (scope !== 'all') query.where('department.libraryId IN (:...ids)', { ids: [...scope] });
  return sortByKey(await query.getMany(), keyOf);
}

async function filtered(
  deps: ListDeps,
  rows: readonly Department[],
  term: string | null,
  hasProblems: boolean | null | undefined,
): Promise<readonly Department[]> {
  let kept = term === null ? rows : rows.filter((d) => cachedSearchKey(d, searchFields).includes(term));
  if (hasProblems !== null && hasProblems !== undefined) {
    const flags = await Promise.all(
      kept.map(async (d) => {
        const library = await deps.loaders.libraryById.load(d.libraryId);
        return library !== null && (await deps.mailConfig.hasProblems(deps.loaders, library, d));
      }),
    );
    kept = kept.filter((_, i) => flags[i] === hasProblems);
  }
  return kept;
}

function sqlPage(deps: ListDeps, scope: Exclude<Scope, 'none'>, request: PageRequest): Promise<Connection<Department>> {
  const query = deps.dataSource.getRepository(Department).createQueryBuilder('department');
  if (scope !== 'all') query.where('department.libraryId IN (:...ids)', { ids: [...scope] });
  return keysetPage(query, { shape: SHAPE, columns: ['department.name', 'department.id'], keyOf }, request);
}

/**
 * A page of the departments of the libraries in scope (a library's own list passes just that
 * library), by name then id; filters run on the whole list before paging.
 */
export async function departmentConnection(deps: ListDeps, scope: Scope, args: DepartmentListArgs): Promise<Connection<Department>> {
  const request = pageRequest(SHAPE, args.first, args.after);
  const term = searchTerm(args.search);
  if (scope === 'none' || (scope !== 'all' && scope.size === 0)) return pageOfSorted(SHAPE, keyOf, [], request);
  const unfiltered = term === null && (args.hasProblems === null || args.hasProblems === undefined);
  if (unfiltered && !deps.loaders.snapshot) return sqlPage(deps, scope, request);
  const rows = await filtered(deps, await sortedInScope(deps, scope), term, args.hasProblems);
  return pageOfSorted(SHAPE, keyOf, rows, request);
}
