import { BadInputError } from '../common/errors';
import { Connection, ConnectionType, CursorShape, Key, pageOfSorted, pageRequest, sortByKey } from '../common/connection';
import type { ListDeps } from '../common/list-deps';
import { parseId } from '../common/text';
import { keysetPage } from '../database/keyset-page';
import type { ConfigSnapshot } from '../snapshot/config-snapshot';
import { perSnapshot } from '../snapshot/per-snapshot';
import { SettingValue } from './setting-value.entity';
import { SettingScope } from './setting.enums';

export interface SettingValueListArgs {
  key?: string | null;
  scope?: SettingScope | null;
  libraryId?: string | null;
  first?: number | null;
  after?: string | null;
}

export const SettingValueConnection = ConnectionType(SettingValue, 'SettingValue');

const SHAPE: CursorShape = { list: 'settingValue', kinds: ['s', 'n'] };
const keyOf = (value: SettingValue): Key => [value.key, value.id];

function allSorted(snapshot: ConfigSnapshot): readonly SettingValue[] {
  return perSnapshot(snapshot, 'setting values by key', () =>
    sortByKey([...snapshot.globalValues, ...[...snapshot.libraryValues.values()].flat(), ...[...snapshot.departmentValues.values()].flat()], keyOf),
  );
}

/** A page of setting values by key then id, optionally of one key, one scope, one library. */
export async function settingValueConnection(deps: ListDeps, args: SettingValueListArgs): Promise<Connection<SettingValue>> {
  const request = pageRequest(SHAPE, args.first, args.after);
  const libraryId = args.libraryId === null || args.libraryId === undefined ? null : parseId(args.libraryId);
  if (args.libraryId !== null && args.libraryId !== undefined && libraryId === null)
    throw new BadInputError('libraryId', 'libraryId must be the id of a library');
  const snapshot = deps.loaders.snapshot;
  if (snapshot) {
    const rows = allSorted(snapshot).filter(
      (v) => (!args.key || v.key === args.key) && (!args.scope || v.scope === args.scope) && (libraryId === null || v.libraryId === libraryId),
    );
    return pageOfSorted(SHAPE, keyOf, rows, request);
  }
  const query = deps.dataSource.getRepository(SettingValue).createQueryBuilder('value').where('1 = 1');
  if (args.key) query.andWhere('value.key = :key', { key: args.key });
  if (args.scope) query.andWhere('value.scope = :scope', { scope: args.scope });
  if (libraryId !== null) query.andWhere('value.libraryId = :libraryId', { libraryId });
  return keysetPage(query, { shape: SHAPE, columns: ['value.key', 'value.id'], keyOf }, request);
}
