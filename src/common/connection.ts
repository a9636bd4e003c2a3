import { ClassType, Field, Int, ObjectType } from 'type-graphql';
import { BadInputError } from './errors';

export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 50;

/** A position in a list's order: the values of its sort columns, the last one the id. */
export type Key = ReadonlyArray<string | number>;

@ObjectType({ description: 'Where a page stands in its list (Relay cursor connections)' })
export class PageInfo {
  @Field()
  hasNextPage: boolean;

  @Field({ description: 'True when the page was asked for after a cursor' })
  hasPreviousPage: boolean;

  @Field(() => String, { nullable: true })
  startCursor: string | null;

  @Field(() => String, { nullable: true })
  endCursor: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Edge<T>[];
  nodes: T[];
  pageInfo: PageInfo;
  totalCount: number;
}

/** `XEdge` and `XConnection` for a node type, all of the same shape. */
export function ConnectionType<T extends object>(node: ClassType<T>, name: string): ClassType<Connection<T>> {
  @ObjectType(`${name}Edge`)
  class EdgeType implements Edge<T> {
    @Field()
    cursor: string;

    @Field(() => node)
    node: T;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${name} items; pass pageInfo.endCursor as after for the next one` })
  class ConnectionClass implements Connection<T> {
    @Field(() => [EdgeType])
    edges: EdgeType[];

    @Field(() => [node])
    nodes: T[];

    @Field(() => PageInfo)
    pageInfo: PageInfo;

    @Field(() => Int, { description: 'How many items the list has for the caller, over all pages' })
    totalCount: number;
  }
  return ConnectionClass;
}

/** What a page request carries once checked: how many, and the position to start after. */
export interface PageRequest {
  first: number;
  after: Key | null;
}

/**
 * The sort columns' kinds, one letter each (`s` string, `n` integer); a cursor names its list and
 * carries a value of each kind, so one from another list or an edited one is refused.
 */
export interface CursorShape {
  list: string;
  kinds: ReadonlyArray<'s' | 'n'>;
}

export function encodeCursor(shape: CursorShape, key: Key): string {
  return Buffer.from(JSON.stringify([shape.list, ...key]), 'utf8').toString('base64url');
}

function badCursor(): BadInputError {
  return new BadInputError('after', 'after is not a cursor of this list; pass a pageInfo.endCursor or edge cursor it returned');
}

export function decodeCursor(shape: CursorShape, cursor: string): Key {
  if (cursor.length > 1024 || !/^[A-Za-z0-9_-]*$/.test(cursor)) throw badCursor();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== shape.kinds.length + 1 || parsed[0] !== shape.list) throw badCursor();
  const key = parsed.slice(1) as unknown[];
  const fits = key.every((value, i) => (shape.kinds[i] === 's' ? typeof value === 'string' : Number.isSafeInteger(value)));
  if (!fits) throw badCursor();
  return key as Key;
}

/** Checks `first` and `after` before anything is read. */
export function pageRequest(shape: CursorShape, first: number | null | undefined, after: string | null | undefined): PageRequest {
  const size = first ?? DEFAULT_PAGE;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE) throw new BadInputError('first', `first must be from 0 to ${MAX_PAGE}`);
  return { first: size, after: after === null || after === undefined ? null : decodeCursor(shape, after) };
}

export function compareKeys(a: Key, b: Key): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] < b[i]) return -1;
    if (a[i] > b[i]) return 1;
  }
  return 0;
}

/** The answer for the rows of a page, read one beyond `first` to learn whether more follow. */
export function connectionOf<T>(shape: CursorShape, keyOf: (row: T) => Key, rows: readonly T[], request: PageRequest, totalCount: number): Connection<T> {
  const nodes = rows.slice(0, request.first);
  const edges = nodes.map((node) => ({ node, cursor: encodeCursor(shape, keyOf(node)) }));
  return {
    edges,
    nodes,
    totalCount,
    pageInfo: {
      hasNextPage: rows.length > request.first,
      hasPreviousPage: request.after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}

/** First index whose key sorts after `after`, in a list sorted by `keyOf` ascending. */
function indexAfter<T>(sorted: readonly T[], keyOf: (row: T) => Key, after: Key): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareKeys(keyOf(sorted[middle]), after) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** A page of a list already in memory and sorted by its keys: a binary search and a slice. */
export function pageOfSorted<T>(shape: CursorShape, keyOf: (row: T) => Key, sorted: readonly T[], request: PageRequest): Connection<T> {
  const start = request.after === null ? 0 : indexAfter(sorted, keyOf, request.after);
  return connectionOf(shape, keyOf, sorted.slice(start, start + request.first + 1), request, sorted.length);
}

/** Sorts in the order `compareKeys` pages by (string order by code unit, as binary collation). */
export function sortByKey<T>(rows: readonly T[], keyOf: (row: T) => Key): T[] {
  return rows
    .map((row) => ({ row, key: keyOf(row) }))
    .sort((a, b) => compareKeys(a.key, b.key))
    .map((entry) => entry.row);
}
