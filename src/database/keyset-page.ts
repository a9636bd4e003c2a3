import { Brackets, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { Connection, connectionOf, CursorShape, Key, PageRequest } from '../common/connection';

/** How a list is ordered in SQL: its key columns (the last one the id) and the direction. */
export interface KeysetOrder<T> {
  shape: CursorShape;
  columns: readonly string[];
  descending?: boolean;
  keyOf(row: T): Key;
  /** A cursor's values as the driver binds them (dates, for instance). */
  bind?(key: Key): unknown[];
}

/** `(a > :a) OR (a = :a AND b > :b) ...`: the rows after a position, which an index on the columns answers. */
function afterCondition<T extends ObjectLiteral>(query: SelectQueryBuilder<T>, order: KeysetOrder<T>, key: Key): void {
  const values = order.bind ? order.bind(key) : [...key];
  const op = order.descending ? '<' : '>';
  const params = Object.fromEntries(values.map((value, i) => [`keyset${i}`, value]));
  query.andWhere(
    new Brackets((outer) => {
      order.columns.forEach((_, i) => {
        outer.orWhere(
          new Brackets((inner) => {
            for (let j = 0; j < i; j++) inner.andWhere(`${order.columns[j]} = :keyset${j}`);
            inner.andWhere(`${order.columns[i]} ${op} :keyset${i}`);
          }),
        );
      });
    }),
    params,
  );
}

/** A page by keyset (never OFFSET), so rows added or removed before the cursor move nothing. */
export async function keysetPage<T extends ObjectLiteral>(
  filtered: SelectQueryBuilder<T>,
  order: KeysetOrder<T>,
  request: PageRequest,
): Promise<Connection<T>> {
  const page = filtered.clone();
  if (request.after !== null) afterCondition(page, order, request.after);
  for (const column of order.columns) page.addOrderBy(column, order.descending ? 'DESC' : 'ASC');
  const [rows, totalCount] = await Promise.all([page.limit(request.first + 1).getMany(), filtered.clone().getCount()]);
  return connectionOf(order.shape, order.keyOf, rows, request, totalCount);
}
