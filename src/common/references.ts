import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { BadInputError, NotFoundError } from './errors';
import { parseId } from './text';

/** Loads a row by its API id, or NOT_FOUND naming the type. */
export async function requireRow<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  typeName: string,
  rawId: string | number,
): Promise<T> {
  const id = parseId(rawId);
  const row = id === null ? null : await manager.findOneBy(entity, { id } as never);
  if (!row) throw new NotFoundError(typeName, rawId);
  return row;
}

/** Resolves an id given in an input to an existing row's id, or BAD_USER_INPUT naming the field. */
export async function referencedId<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  field: string,
  what: string,
  raw: string | null | undefined,
): Promise<number | null> {
  if (raw === null || raw === undefined) return null;
  const id = parseId(raw);
  if (id === null || !(await manager.existsBy(entity, { id } as never))) throw new BadInputError(field, `${field} names no existing ${what}`);
  return id;
}
