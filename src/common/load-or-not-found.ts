import { NotFoundError } from './errors';
import { parseId } from './text';

interface ByIdLoader<T> {
  load(id: number): Promise<T | null>;
}

/** The row an API id names, or null; a malformed id is never sent to the loader. */
export function loadById<T>(loader: ByIdLoader<T>, rawId: string | number): Promise<T | null> {
  const id = parseId(rawId);
  return id === null ? Promise.resolve(null) : loader.load(id);
}

/** The row an API id names, or NOT_FOUND naming the type (the id is quoted only when well formed). */
export async function loadOrNotFound<T>(loader: ByIdLoader<T>, typeName: string, rawId: string | number): Promise<T> {
  return (await loadById(loader, rawId)) ?? notFound(typeName, rawId);
}

/** NOT_FOUND for an id that names no row; usable where an expression is expected. */
export function notFound(typeName: string, rawId: string | number): never {
  throw new NotFoundError(typeName, rawId);
}
