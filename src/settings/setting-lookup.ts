import { ResolutionOutcome, ResolutionSource, ResolutionTarget, Step, step } from '../common/resolution';
import { SettingScope, SettingValueType } from './setting.enums';

/** Plain data the hierarchical lookup works on; no entities, no database. */
export interface DefinitionData {
  key: string;
  valueType: SettingValueType;
  allowedScopes: readonly SettingScope[];
}

export interface ValueData {
  id: number;
  key: string;
  scope: SettingScope;
  libraryId: number | null;
  departmentId: number | null;
  value: string | null;
}

export interface LookupContext {
  libraryId: number | null;
  departmentId: number | null;
}

export interface LookupResult<V extends ValueData> {
  value: V | null;
  trace: Step[];
}

const WALK: ReadonlyArray<{ scope: SettingScope; source: ResolutionSource; label: string }> = [
  { scope: SettingScope.DEPARTMENT, source: ResolutionSource.DEPARTMENT_SETTING, label: 'department' },
  { scope: SettingScope.LIBRARY, source: ResolutionSource.LIBRARY_SETTING, label: 'library' },
  { scope: SettingScope.GLOBAL, source: ResolutionSource.GLOBAL_SETTING, label: 'global' },
];

function owns(value: ValueData, scope: SettingScope, context: LookupContext): boolean {
  if (value.scope !== scope) return false;
  if (scope === SettingScope.DEPARTMENT) return value.departmentId === context.departmentId;
  if (scope === SettingScope.LIBRARY) return value.libraryId === context.libraryId;
  return true;
}

function isBlank(value: string | null): boolean {
  return value === null || value.trim() === '';
}

/**
 * The hierarchical lookup of D3: the value at the most specific allowed scope that has one,
 * department → library → global. Scopes the definition does not allow are not looked at; a
 * scope with no target (no department given) is SKIPPED with a note. The walk stops at the
 * first value found. `display` turns a value into what the trace shows (e.g. a server's name).
 */
export function lookupSetting<V extends ValueData>(
  definition: DefinitionData,
  values: readonly V[],
  context: LookupContext,
  options: { target?: ResolutionTarget; display?: (value: V) => string | null } = {},
): LookupResult<V> {
  const target = options.target ?? ResolutionTarget.SETTING;
  const trace: Step[] = [];
  for (const { scope, source, label } of WALK) {
    if (!definition.allowedScopes.includes(scope)) continue;
    const scopeTargetMissing =
      (scope === SettingScope.DEPARTMENT && context.departmentId === null) || (scope === SettingScope.LIBRARY && context.libraryId === null);
    if (scopeTargetMissing) {
      trace.push(step(target, source, definition.key, ResolutionOutcome.SKIPPED, null, `no ${label} given`));
      continue;
    }
    const found = values.find((v) => v.key === definition.key && owns(v, scope, context) && !isBlank(v.value));
    if (!found) {
      trace.push(step(target, source, definition.key, ResolutionOutcome.EMPTY, null, null));
      continue;
    }
    trace.push(step(target, source, definition.key, ResolutionOutcome.USED, options.display ? options.display(found) : found.value, null));
    return { value: found, trace };
  }
  return { value: null, trace };
}
