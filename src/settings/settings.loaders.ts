import DataLoader from 'dataloader';
import { DataSource, In } from 'typeorm';
import { lazy } from '../common/lazy';
import { loaderByGroup } from '../common/loaders';
import { SettingDefinition } from './setting-definition.entity';
import { SettingValue } from './setting-value.entity';
import type { Loaders } from '../loaders.type';
import { LookupContext } from './setting-lookup';
import { SettingScope } from './setting.enums';

export function createSettingsLoaders(dataSource: DataSource) {
  const definitions = dataSource.getRepository(SettingDefinition);
  const values = dataSource.getRepository(SettingValue);
  return {
    allDefinitions: lazy(() => definitions.find({ order: { key: 'ASC' } })),
    definitionByKey: new DataLoader<string, SettingDefinition | null>(async (keys) => {
      const rows = await definitions.findBy({ key: In([...keys]) });
      const byKey = new Map(rows.map((row) => [row.key, row]));
      return keys.map((key) => byKey.get(key) ?? null);
    }),
    valuesByLibrary: loaderByGroup(
      (ids: number[]) => values.find({ where: { scope: SettingScope.LIBRARY, libraryId: In(ids) }, order: { key: 'ASC' } }),
      (value) => value.libraryId as number,
    ),
    valuesByDepartment: loaderByGroup(
      (ids: number[]) => values.find({ where: { scope: SettingScope.DEPARTMENT, departmentId: In(ids) }, order: { key: 'ASC' } }),
      (value) => value.departmentId as number,
    ),
    globalValues: lazy(() => values.find({ where: { scope: SettingScope.GLOBAL }, order: { key: 'ASC' } })),
  };
}

/**
 * D3: the values a lookup for (library, department) may use: the department's, the library's and
 * the global ones, most specific first. The loads start together, so they batch across a request.
 */
export async function valuesInScope(
  loaders: Pick<Loaders, 'valuesByDepartment' | 'valuesByLibrary' | 'globalValues'>,
  { libraryId, departmentId }: LookupContext,
): Promise<SettingValue[]> {
  const none: SettingValue[] = [];
  const [departmentValues, libraryValues, globalValues] = await Promise.all([
    departmentId === null ? none : loaders.valuesByDepartment.load(departmentId),
    libraryId === null ? none : loaders.valuesByLibrary.load(libraryId),
    loaders.globalValues(),
  ]);
  return departmentValues.concat(libraryValues, globalValues);
}
