import { ResolutionOutcome, ResolutionSource, ResolutionTarget } from '../../src/common/resolution';
import { DefinitionData, lookupSetting, LookupContext, ValueData } from '../../src/settings/setting-lookup';
import { SettingScope, SettingValueType } from '../../src/settings/setting.enums';

const { USED, EMPTY, SKIPPED } = ResolutionOutcome;
const { DEPARTMENT_SETTING: DEP, LIBRARY_SETTING: LIB, GLOBAL_SETTING: GLOB } = ResolutionSource;
const ALL_SCOPES = [SettingScope.GLOBAL, SettingScope.LIBRARY, SettingScope.DEPARTMENT];
const KEY = 'REMINDER_DAYS';

let nextId = 1;
function value(scope: SettingScope, raw: string | null, owner: { libraryId?: number; departmentId?: number; key?: string } = {}): ValueData {
  return {
    id: nextId++,
    key: owner.key ?? KEY,
    scope,
    libraryId: scope === SettingScope.GLOBAL ? null : (owner.libraryId ?? 1),
    departmentId: scope === SettingScope.DEPARTMENT ? (owner.departmentId ?? 10) : null,
    value: raw,
  };
}
function definition(allowedScopes: SettingScope[] = ALL_SCOPES): DefinitionData {
  return { key: KEY, valueType: SettingValueType.STRING, allowedScopes };
}
const HERE: LookupContext = { libraryId: 1, departmentId: 10 };

interface Row {
  title: string;
  allowed?: SettingScope[];
  values: ValueData[];
  context?: LookupContext;
  expected: string | null;
  trace: Array<[ResolutionSource, ResolutionOutcome]>;
}

const rows: Row[] = [
  {
    title: 'D3: the department value wins over library and global',
    values: [value(SettingScope.GLOBAL, 'g'), value(SettingScope.LIBRARY, 'l'), value(SettingScope.DEPARTMENT, 'd')],
    expected: 'd',
    trace: [[DEP, USED]],
  },
  {
    title: 'D3: the library value is used when the department has none',
    values: [value(SettingScope.GLOBAL, 'g'), value(SettingScope.LIBRARY, 'l')],
    expected: 'l',
    trace: [
      [DEP, EMPTY],
      [LIB, USED],
    ],
  },
  {
    title: 'D3: the global value is used when department and library have none',
    values: [value(SettingScope.GLOBAL, 'g')],
    expected: 'g',
    trace: [
      [DEP, EMPTY],
      [LIB, EMPTY],
      [GLOB, USED],
    ],
  },
  {
    title: 'D3: blank and null values count as empty',
    values: [value(SettingScope.DEPARTMENT, '   '), value(SettingScope.LIBRARY, null), value(SettingScope.GLOBAL, 'g')],
    expected: 'g',
    trace: [
      [DEP, EMPTY],
      [LIB, EMPTY],
      [GLOB, USED],
    ],
  },
  {
    title: 'D3: values of another library, another department or another key are ignored',
    values: [
      value(SettingScope.DEPARTMENT, 'other-dep', { departmentId: 11 }),
      value(SettingScope.LIBRARY, 'other-lib', { libraryId: 2 }),
      value(SettingScope.LIBRARY, 'other-key', { key: 'OTHER' }),
      value(SettingScope.GLOBAL, 'g'),
    ],
    expected: 'g',
    trace: [
      [DEP, EMPTY],
      [LIB, EMPTY],
      [GLOB, USED],
    ],
  },
  {
    title: 'D3: scopes the definition does not allow are not looked at',
    allowed: [SettingScope.LIBRARY],
    values: [value(SettingScope.DEPARTMENT, 'd'), value(SettingScope.GLOBAL, 'g')],
    expected: null,
    trace: [[LIB, EMPTY]],
  },
  {
    title: 'D3: with no department given the department scope is SKIPPED',
    values: [value(SettingScope.DEPARTMENT, 'd'), value(SettingScope.LIBRARY, 'l')],
    context: { libraryId: 1, departmentId: null },
    expected: 'l',
    trace: [
      [DEP, SKIPPED],
      [LIB, USED],
    ],
  },
  {
    title: 'D3: with no library given the library scope is SKIPPED',
    values: [value(SettingScope.LIBRARY, 'l'), value(SettingScope.GLOBAL, 'g')],
    context: { libraryId: null, departmentId: null },
    expected: 'g',
    trace: [
      [DEP, SKIPPED],
      [LIB, SKIPPED],
      [GLOB, USED],
    ],
  },
  {
    title: 'D3: no value anywhere gives null and an EMPTY step per allowed scope',
    values: [],
    expected: null,
    trace: [
      [DEP, EMPTY],
      [LIB, EMPTY],
      [GLOB, EMPTY],
    ],
  },
];

describe('lookupSetting', () => {
  test.each(rows)('$title', ({ allowed, values, context, expected, trace }) => {
    const result = lookupSetting(definition(allowed), values, context ?? HERE);
    expect(result.value?.value ?? null).toBe(expected);
    expect(result.trace.map((s) => [s.source, s.outcome])).toEqual(trace);
    for (const step of result.trace) {
      expect(step.target).toBe(ResolutionTarget.SETTING);
      expect(step.field).toBe(KEY);
      expect(step.value).toBe(step.outcome === USED ? expected : null);
    }
  });

  test('D3: the returned value is the record found, not a copy', () => {
    const library = value(SettingScope.LIBRARY, 'l');
    expect(lookupSetting(definition(), [library], HERE).value).toBe(library);
  });

  test('D7: a SKIPPED scope says why', () => {
    const { trace } = lookupSetting(definition(), [], { libraryId: 1, departmentId: null });
    expect(trace[0]).toMatchObject({ source: DEP, outcome: SKIPPED, note: 'no department given' });
  });

  test('D7: target and display options shape the trace', () => {
    const { trace } = lookupSetting(definition(), [value(SettingScope.GLOBAL, '7')], HERE, {
      target: ResolutionTarget.SMTP_SERVER,
      display: (v) => `server #${v.value}`,
    });
    expect(trace.map((s) => s.target)).toEqual([ResolutionTarget.SMTP_SERVER, ResolutionTarget.SMTP_SERVER, ResolutionTarget.SMTP_SERVER]);
    expect(trace[2]).toMatchObject({ source: GLOB, outcome: USED, value: 'server #7' });
  });
});
