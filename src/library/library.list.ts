import { inScope, Scope } from '../auth/access';
import { Connection, ConnectionType, CursorShape, Key, PageRequest, pageOfSorted, pageRequest, sortByKey } from '../common/connection';
import { cachedSearchKey, searchTerm } from '../common/search-text';
import { keysetPage } from '../database/keyset-page';
import type { ListDeps } from '../common/list-deps';
import { perSnapshot } from '../snapshot/per-snapshot';
import { Library } from './library.entity';

export interface LibraryListArgs {
  first?: number | null;
  after?: string | null;
  search?: string | null;
  hasProblems?: boolean | null;
}

export const LibraryConnection = ConnectionType(Library, 'Library');

const SHAPE: CursorShape = { list: 'library', kinds: ['s', 'n'] };
const keyOf = (library: Library): Key => [library.name, library.id];
const searchFields = (l: Library) => [l.name, l.code, l.shortName, l.contactEmail];

/** The libraries in scope, by name then id: from the snapshot's index, or read whole for filtering. */
async function sortedInScope(deps: ListDeps, scope: Exclude<Scope, 'none'>): Promise<readonly Library[]> {
  const snapshot = deps.loaders.snapshot;
  if (snapshot) {
    if (scope !== 'all')
      return sortByKey(
        [...scope].flatMap((id) => snapshot.libraries.get(id) ?? []),
        keyOf,
      );
    return perSnapshot(snapshot, 'libraries by name', () => sortByKey(snapshot.libraryList, keyOf));
  }
  const rows = await deps.loaders.allLibraries();
  return sortByKey(
    rows.filter((l) => inScope(scope, l.id)),
    keyOf,
  );
}

async function filtered(deps: ListDeps, rows: readonly Library[], term: string | null, hasProblems: boolean | null | undefined): Promise<readonly Library[]> {
  let kept = term === null ? rows : rows.filter((l) => cachedSearchKey(l, searchFields).includes(term));
  if (hasProblems !== null && hasProblems !== undefined) {
    const flags = await Promise.all(kept.map((l) => deps.mailConfig.hasProblems(deps.loaders, l, null)));
    kept = kept.filter((_, i) => flags[i] === hasProblems);
  }
  return kept;
}

function sqlPage(deps: ListDeps, scope: Exclude<Scope, 'none'>, request: PageRequest): Promise<Connection<Library>> {
  const query = deps.dataSource.getRepository(Library).createQueryBuilder('library');
  if (scope !== 'all') query.where('library.id IN (:...ids)', { ids: [...scope] });
  return keysetPage(query, { shape: SHAPE, columns: ['library.name', 'library.id'], keyOf }, request);
}

/** A page of the libraries the scope reaches, by name then id; filters run on the whole list before paging. */
export async function libraryConnection(deps: ListDeps, scope: Scope, args: LibraryListArgs): Promise<Connection<Library>> {
  const request = pageRequest(SHAPE, args.first, args.after);
  const term = searchTerm(args.search);
  if (scope === 'none' || (scope !== 'all' && scope.size === 0)) return pageOfSorted(SHAPE, keyOf, [], request);
  const unfiltered = term === null && (args.hasProblems === null || args.hasProblems === undefined);
  if (unfiltered && !deps.loaders.snapshot) return sqlPage(deps, scope, request);
  const rows = await filtered(deps, await sortedInScope(deps, scope), term, args.hasProblems);
  return pageOfSorted(SHAPE, keyOf, rows, request);
}
