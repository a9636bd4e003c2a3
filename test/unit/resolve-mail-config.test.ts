import { ResolutionOutcome, ResolutionSource, ResolutionTarget, Step } from '../../src/common/resolution';
import {
  DepartmentData,
  LibraryData,
  MailSnapshot,
  MAX_CHAIN_LENGTH,
  ProblemCode,
  PURPOSE_RULES,
  resolveMailConfig,
  ResolvedMailConfig,
  ServerData,
} from '../../src/mail/resolve-mail-config';
import { MailPurpose, ProblemSeverity } from '../../src/mail/mail.enums';
import { DefinitionData, ValueData } from '../../src/settings/setting-lookup';
import { BuiltInSetting, SettingScope, SettingValueType } from '../../src/settings/setting.enums';

const { GENERAL, INTERLIBRARY_LOAN: ILL } = MailPurpose;
const { USED, EMPTY, SKIPPED } = ResolutionOutcome;
const { SMTP_SERVER, SENDER_ADDRESS, SENDER_NAME } = ResolutionTarget;
const LIBRARY_ID = 1;
const OTHER_LIBRARY_ID = 2;
const DEPARTMENT_ID = 10;
const FOREIGN_SERVER = 99;

const BUILT_IN: DefinitionData[] = [
  { key: BuiltInSetting.DEFAULT_SMTP_SERVER, valueType: SettingValueType.SMTP_SERVER, allowedScopes: [SettingScope.GLOBAL] },
  { key: BuiltInSetting.ILS_SMTP_SERVER, valueType: SettingValueType.SMTP_SERVER, allowedScopes: [SettingScope.LIBRARY] },
  { key: BuiltInSetting.ILS_EMAIL, valueType: SettingValueType.EMAIL, allowedScopes: [SettingScope.LIBRARY] },
];

function srv(id: number, overrides: Partial<ServerData> = {}): ServerData {
  return {
    id,
    name: `smtp-${id}`,
    username: null,
    hasPassword: false,
    allowTls: true,
    allowSsl: false,
    requiresAuth: false,
    timeoutMs: 300_000,
    nextServerId: null,
    ...overrides,
  };
}

interface Setup {
  servers?: ServerData[];
  library?: Partial<LibraryData>;
  department?: Partial<DepartmentData>;
  defaultServer?: number | string;
  ilsServer?: number | string;
  ilsEmail?: string;
}

function snapshot(setup: Setup): MailSnapshot {
  const servers = new Map([...(setup.servers ?? []), srv(FOREIGN_SERVER)].map((s) => [s.id, s]));
  let nextId = 1;
  const val = (key: string, scope: SettingScope, raw: string, libraryId: number | null = LIBRARY_ID, departmentId: number | null = null): ValueData => ({
    id: nextId++,
    key,
    scope,
    libraryId,
    departmentId,
    value: raw,
  });
  const values: ValueData[] = [
    val(BuiltInSetting.ILS_SMTP_SERVER, SettingScope.LIBRARY, String(FOREIGN_SERVER), OTHER_LIBRARY_ID),
    val(BuiltInSetting.ILS_SMTP_SERVER, SettingScope.DEPARTMENT, String(FOREIGN_SERVER), LIBRARY_ID, DEPARTMENT_ID),
    val(BuiltInSetting.ILS_EMAIL, SettingScope.LIBRARY, 'other@elsewhere.cz', OTHER_LIBRARY_ID),
    val(BuiltInSetting.ILS_EMAIL, SettingScope.GLOBAL, 'global@elsewhere.cz', null),
    val(BuiltInSetting.DEFAULT_SMTP_SERVER, SettingScope.LIBRARY, String(FOREIGN_SERVER)),
  ];
  if (setup.defaultServer !== undefined) values.push(val(BuiltInSetting.DEFAULT_SMTP_SERVER, SettingScope.GLOBAL, String(setup.defaultServer), null));
  if (setup.ilsServer !== undefined) values.push(val(BuiltInSetting.ILS_SMTP_SERVER, SettingScope.LIBRARY, String(setup.ilsServer)));
  if (setup.ilsEmail !== undefined) values.push(val(BuiltInSetting.ILS_EMAIL, SettingScope.LIBRARY, setup.ilsEmail));
  return {
    library: { id: LIBRARY_ID, shortName: null, contactEmail: 'k@xyz.cz', smtpServerId: null, ...setup.library },
    department: setup.department ? { id: DEPARTMENT_ID, email: null, smtpServerId: null, ...setup.department } : null,
    server: (id) => servers.get(id),
    definition: (key) => BUILT_IN.find((d) => d.key === key),
    values,
  };
}

const steps = (result: ResolvedMailConfig, target: ResolutionTarget): Step[] => result.trace.filter((s) => s.target === target);
const selectionSteps = (result: ResolvedMailConfig, target: ResolutionTarget): Step[] =>
  steps(result, target).filter((s) => s.source !== ResolutionSource.NEXT_SERVER);
const problems = (result: ResolvedMailConfig, code: ProblemCode) => result.problems.filter((p) => p.code === code);
const serverIds = (result: ResolvedMailConfig) => result.servers.map((s) => s.id);

function combinations<K extends string>(keys: readonly K[]): Array<Record<K, boolean>> {
  return Array.from({ length: 2 ** keys.length }, (_, mask) => Object.fromEntries(keys.map((k, i) => [k, (mask & (1 << i)) !== 0])) as Record<K, boolean>);
}
const label = (combo: Record<string, boolean>) =>
  Object.keys(combo)
    .filter((k) => combo[k])
    .join(', ') || 'nothing';

function expectOneUsedWinner(result: ResolvedMailConfig, target: ResolutionTarget, winnerDisplay: string | null) {
  const selection = selectionSteps(result, target);
  expect(selection.filter((s) => s.outcome === USED)).toHaveLength(winnerDisplay === null ? 0 : 1);
  if (winnerDisplay !== null) expect(selection[selection.length - 1]).toMatchObject({ outcome: USED, value: winnerDisplay });
  for (const step of selection.slice(0, winnerDisplay === null ? undefined : -1)) expect([EMPTY, SKIPPED]).toContain(step.outcome);
}

describe('resolveMailConfig: rules', () => {
  const dep = srv(1, { name: 'department-smtp' });
  const lib = srv(2, { name: 'library-smtp' });
  const ils = srv(3, { name: 'ill-smtp' });
  const primary = srv(4, { name: 'primary', nextServerId: 5 });
  const secondary = srv(5, { name: 'secondary' });
  const all = [dep, lib, ils, primary, secondary];

  test.each<[string, MailPurpose, Setup, number[]]>([
    ['R4: the library picks its SMTP server', GENERAL, { library: { smtpServerId: 2 }, defaultServer: 4 }, [2]],
    ['R4/D2: an empty library field falls back to DEFAULT_SMTP_SERVER, the primary then the secondary', GENERAL, { defaultServer: 4 }, [4, 5]],
    ['R5: the department picks its own SMTP server', GENERAL, { department: { smtpServerId: 1 }, library: { smtpServerId: 2 }, defaultServer: 4 }, [1]],
    ['R5: an empty department field falls back to the library server', GENERAL, { department: {}, library: { smtpServerId: 2 }, defaultServer: 4 }, [2]],
    ['R5/R4: empty department and library fields fall back to the default', GENERAL, { department: {}, defaultServer: 4 }, [4, 5]],
    ['R6: ILS_SMTP_SERVER is used for interlibrary loan', ILL, { library: { smtpServerId: 2 }, ilsServer: 3, defaultServer: 4 }, [3]],
    ['R6: an empty ILS_SMTP_SERVER falls back to the library server', ILL, { library: { smtpServerId: 2 }, defaultServer: 4 }, [2]],
    ['R6/R4: empty ILS_SMTP_SERVER and library field fall back to the default', ILL, { defaultServer: 4 }, [4, 5]],
    ['R6: a blank ILS_SMTP_SERVER value counts as empty', ILL, { library: { smtpServerId: 2 }, ilsServer: '  ' }, [2]],
    ['R6: ILS_SMTP_SERVER is not used for general mail', GENERAL, { library: { smtpServerId: 2 }, ilsServer: 3 }, [2]],
    ['D4: the department server is not used for interlibrary loan', ILL, { department: { smtpServerId: 1 }, library: { smtpServerId: 2 } }, [2]],
  ])('%s', (_title, purpose, setup, expected) => {
    const result = resolveMailConfig(snapshot({ servers: all, ...setup }), purpose);
    expect(serverIds(result)).toEqual(expected);
    expect(result.purpose).toBe(purpose);
    expect(result.problems).toEqual([]);
  });

  test.each<[string, MailPurpose, Setup, string, string | null, string]>([
    ['R7: the sender address is the library contact e-mail', GENERAL, { library: { contactEmail: 'k@xyz.cz' } }, 'k@xyz.cz', null, 'k@xyz.cz'],
    [
      'R8: the department e-mail is the sender address',
      GENERAL,
      { department: { email: 'dep@xyz.cz' }, library: { contactEmail: 'k@xyz.cz' } },
      'dep@xyz.cz',
      null,
      'dep@xyz.cz',
    ],
    [
      'R8: an empty department e-mail falls back to the library contact e-mail',
      GENERAL,
      { department: { email: ' ' }, library: { contactEmail: 'k@xyz.cz' } },
      'k@xyz.cz',
      null,
      'k@xyz.cz',
    ],
    [
      'R9: ILS_EMAIL is the sender address for interlibrary loan',
      ILL,
      { ilsEmail: 'mvs@xyz.cz', library: { contactEmail: 'k@xyz.cz' } },
      'mvs@xyz.cz',
      null,
      'mvs@xyz.cz',
    ],
    [
      'R9: an empty ILS_EMAIL falls back to the library contact e-mail',
      ILL,
      { ilsEmail: '', library: { contactEmail: 'k@xyz.cz' } },
      'k@xyz.cz',
      null,
      'k@xyz.cz',
    ],
    [
      'R9/D6: the department e-mail is not used for interlibrary loan',
      ILL,
      { department: { email: 'dep@xyz.cz' }, library: { contactEmail: 'k@xyz.cz' } },
      'k@xyz.cz',
      null,
      'k@xyz.cz',
    ],
    ['R9: ILS_EMAIL is not used for general mail', GENERAL, { ilsEmail: 'mvs@xyz.cz', library: { contactEmail: 'k@xyz.cz' } }, 'k@xyz.cz', null, 'k@xyz.cz'],
    [
      'R10: the library short name is the sender name',
      GENERAL,
      { library: { contactEmail: 'knihovna@xyz.cz', shortName: 'KNIH-XYZ' } },
      'knihovna@xyz.cz',
      'KNIH-XYZ',
      '"KNIH-XYZ" <knihovna@xyz.cz>',
    ],
    [
      'R10: the short name is the sender name for interlibrary loan too',
      ILL,
      { ilsEmail: 'mvs@xyz.cz', library: { shortName: 'KNIH-XYZ' } },
      'mvs@xyz.cz',
      'KNIH-XYZ',
      '"KNIH-XYZ" <mvs@xyz.cz>',
    ],
    ['D6: a blank short name gives no sender name', GENERAL, { library: { contactEmail: 'k@xyz.cz', shortName: '  ' } }, 'k@xyz.cz', null, 'k@xyz.cz'],
    ['D6: address and name are trimmed', GENERAL, { library: { contactEmail: ' k@xyz.cz ', shortName: ' KNIH ' } }, 'k@xyz.cz', 'KNIH', '"KNIH" <k@xyz.cz>'],
  ])('%s', (_title, purpose, setup, address, name, formatted) => {
    const result = resolveMailConfig(snapshot({ servers: all, defaultServer: 4, ...setup }), purpose);
    expect(result.sender).toEqual({ address, name, formatted });
    expect(problems(result, ProblemCode.NO_SENDER)).toEqual([]);
  });

  test("R11/D5: the resolved server is followed by its next server, and that one's next", () => {
    const chain = [srv(1, { nextServerId: 2 }), srv(2, { nextServerId: 3 }), srv(3)];
    const result = resolveMailConfig(snapshot({ servers: chain, library: { smtpServerId: 1 } }), GENERAL);
    expect(serverIds(result)).toEqual([1, 2, 3]);
    expect(
      steps(result, SMTP_SERVER)
        .filter((s) => s.source === ResolutionSource.NEXT_SERVER)
        .map((s) => [s.outcome, s.value]),
    ).toEqual([
      [USED, 'smtp-2'],
      [USED, 'smtp-3'],
    ]);
    expect(result.problems).toEqual([]);
  });

  test('D5: a chain of exactly 10 servers is followed in full without CHAIN_TOO_LONG', () => {
    const chain = Array.from({ length: MAX_CHAIN_LENGTH }, (_, i) => srv(i + 1, { nextServerId: i + 1 < MAX_CHAIN_LENGTH ? i + 2 : null }));
    const result = resolveMailConfig(snapshot({ servers: chain, defaultServer: 1 }), GENERAL);
    expect(serverIds(result)).toHaveLength(10);
    expect(result.problems).toEqual([]);
  });

  test('D5: a next server that does not exist ends the chain', () => {
    const result = resolveMailConfig(snapshot({ servers: [srv(1, { nextServerId: 42 })], defaultServer: 1 }), GENERAL);
    expect(serverIds(result)).toEqual([1]);
  });

  test('D1: PURPOSE_RULES has one entry per purpose, each with sources for every target', () => {
    expect(Object.keys(PURPOSE_RULES).sort()).toEqual(Object.values(MailPurpose).sort());
    for (const rules of Object.values(PURPOSE_RULES)) {
      expect(rules.server.length).toBeGreaterThan(0);
      expect(rules.senderAddress.length).toBeGreaterThan(0);
      expect(rules.senderName.length).toBeGreaterThan(0);
    }
  });
});

describe('resolveMailConfig: trace (D7)', () => {
  const brief = (s: Step) => [s.target, s.source, s.field, s.outcome, s.value];

  test('D7: GENERAL falls through department and library to the default, then the chain and the sender', () => {
    const result = resolveMailConfig(
      snapshot({
        servers: [srv(4, { name: 'primary', nextServerId: 5 }), srv(5, { name: 'secondary' })],
        department: {},
        library: { contactEmail: 'k@xyz.cz', shortName: 'KNIH' },
        defaultServer: 4,
      }),
      GENERAL,
    );
    expect(result.trace.map(brief)).toEqual([
      [SMTP_SERVER, ResolutionSource.DEPARTMENT, 'Department.smtpServer', EMPTY, null],
      [SMTP_SERVER, ResolutionSource.LIBRARY, 'Library.smtpServer', EMPTY, null],
      [SMTP_SERVER, ResolutionSource.GLOBAL_SETTING, 'DEFAULT_SMTP_SERVER', USED, 'primary'],
      [SMTP_SERVER, ResolutionSource.NEXT_SERVER, 'SmtpServer.nextServer', USED, 'secondary'],
      [SENDER_ADDRESS, ResolutionSource.DEPARTMENT, 'Department.email', EMPTY, null],
      [SENDER_ADDRESS, ResolutionSource.LIBRARY, 'Library.contactEmail', USED, 'k@xyz.cz'],
      [SENDER_NAME, ResolutionSource.LIBRARY, 'Library.shortName', USED, 'KNIH'],
    ]);
  });

  test('D7/D4: INTERLIBRARY_LOAN skips the department with a note, then ILS settings, then the library', () => {
    const result = resolveMailConfig(
      snapshot({
        servers: [srv(1, { name: 'department-smtp' }), srv(2, { name: 'library-smtp' })],
        department: { smtpServerId: 1, email: 'dep@xyz.cz' },
        library: { smtpServerId: 2, contactEmail: 'k@xyz.cz' },
        ilsEmail: 'mvs@xyz.cz',
      }),
      ILL,
    );
    expect(result.trace.map(brief)).toEqual([
      [SMTP_SERVER, ResolutionSource.DEPARTMENT, 'Department.smtpServer', SKIPPED, null],
      [SMTP_SERVER, ResolutionSource.LIBRARY_SETTING, 'ILS_SMTP_SERVER', EMPTY, null],
      [SMTP_SERVER, ResolutionSource.LIBRARY, 'Library.smtpServer', USED, 'library-smtp'],
      [SENDER_ADDRESS, ResolutionSource.DEPARTMENT, 'Department.email', SKIPPED, null],
      [SENDER_ADDRESS, ResolutionSource.LIBRARY_SETTING, 'ILS_EMAIL', USED, 'mvs@xyz.cz'],
      [SENDER_NAME, ResolutionSource.LIBRARY, 'Library.shortName', EMPTY, null],
    ]);
    expect(result.trace[0].note).toMatch(/department server is not used for interlibrary loan/);
    expect(result.trace[3].note).toMatch(/department e-mail is not used for interlibrary loan/);
  });

  test('D7: with no department given the department sources are SKIPPED with a note', () => {
    const result = resolveMailConfig(snapshot({ servers: [srv(4)], defaultServer: 4, library: { contactEmail: 'k@xyz.cz' } }), GENERAL);
    const department = result.trace.filter((s) => s.source === ResolutionSource.DEPARTMENT);
    expect(department.map((s) => [s.target, s.outcome, s.note])).toEqual([
      [SMTP_SERVER, SKIPPED, 'no department given'],
      [SENDER_ADDRESS, SKIPPED, 'no department given'],
    ]);
  });

  test.each<[string, Setup, MailPurpose, ResolutionSource]>([
    [
      'D7: a library server that does not exist is SKIPPED with the reason and the default is used',
      { library: { smtpServerId: 42 }, defaultServer: 4 },
      GENERAL,
      ResolutionSource.LIBRARY,
    ],
    [
      'D7: an ILS_SMTP_SERVER that does not exist is SKIPPED with the reason and the default is used',
      { ilsServer: 42, defaultServer: 4 },
      ILL,
      ResolutionSource.LIBRARY_SETTING,
    ],
  ])('%s', (_title, setup, purpose, source) => {
    const result = resolveMailConfig(snapshot({ servers: [srv(4)], ...setup }), purpose);
    expect(serverIds(result)).toEqual([4]);
    const skipped = steps(result, SMTP_SERVER).find((s) => s.source === source);
    expect(skipped).toMatchObject({ outcome: SKIPPED, value: '42' });
    expect(skipped?.note).toMatch(/42 does not exist/);
    expectOneUsedWinner(result, SMTP_SERVER, 'smtp-4');
  });
});

describe('resolveMailConfig: problems (D8)', () => {
  const codesOf = (result: ResolvedMailConfig) => result.problems.map((p) => [p.code, p.severity, p.serverId]);

  test('D4 NO_SMTP_SERVER: no server anywhere is an error', () => {
    for (const purpose of [GENERAL, ILL]) {
      const result = resolveMailConfig(snapshot({ library: { contactEmail: 'k@xyz.cz' } }), purpose);
      expect(result.servers).toEqual([]);
      expect(codesOf(result)).toEqual([[ProblemCode.NO_SMTP_SERVER, ProblemSeverity.ERROR, null]]);
    }
  });

  test('D6 NO_SENDER: no sender address anywhere is an error', () => {
    for (const purpose of [GENERAL, ILL]) {
      const result = resolveMailConfig(
        snapshot({ servers: [srv(4)], defaultServer: 4, department: {}, library: { contactEmail: null, shortName: 'KNIH' } }),
        purpose,
      );
      expect(result.sender).toBeNull();
      expect(codesOf(result)).toEqual([[ProblemCode.NO_SENDER, ProblemSeverity.ERROR, null]]);
    }
  });

  test('D5 CHAIN_CYCLE: the chain stops before a server already in it, naming the server whose next closes the cycle', () => {
    const result = resolveMailConfig(
      snapshot({ servers: [srv(1, { nextServerId: 2 }), srv(2, { nextServerId: 3 }), srv(3, { nextServerId: 1 })], defaultServer: 1 }),
      GENERAL,
    );
    expect(serverIds(result)).toEqual([1, 2, 3]);
    expect(codesOf(result)).toEqual([[ProblemCode.CHAIN_CYCLE, ProblemSeverity.WARNING, 3]]);
    const last = result.trace.filter((s) => s.source === ResolutionSource.NEXT_SERVER).pop();
    expect(last).toMatchObject({ outcome: SKIPPED, value: 'smtp-1' });
  });

  test('D5 CHAIN_CYCLE: a server that is its own next server', () => {
    const result = resolveMailConfig(snapshot({ servers: [srv(7, { nextServerId: 7 })], defaultServer: 7 }), GENERAL);
    expect(serverIds(result)).toEqual([7]);
    expect(codesOf(result)).toEqual([[ProblemCode.CHAIN_CYCLE, ProblemSeverity.WARNING, 7]]);
  });

  test('D5 CHAIN_TOO_LONG: a chain of 11 servers stops after 10, naming the 10th', () => {
    const chain = Array.from({ length: 11 }, (_, i) => srv(i + 1, { nextServerId: i + 1 < 11 ? i + 2 : null }));
    const result = resolveMailConfig(snapshot({ servers: chain, defaultServer: 1 }), GENERAL);
    expect(serverIds(result)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(codesOf(result)).toEqual([[ProblemCode.CHAIN_TOO_LONG, ProblemSeverity.WARNING, 10]]);
    const last = result.trace.filter((s) => s.source === ResolutionSource.NEXT_SERVER).pop();
    expect(last).toMatchObject({ outcome: SKIPPED, value: 'smtp-11' });
  });

  test.each<[string, Partial<ServerData>, Array<[ProblemCode, ProblemSeverity]>]>([
    ['D8 TIMEOUT_BELOW_RECOMMENDED: a timeout under 180 000 ms', { timeoutMs: 179_999 }, [[ProblemCode.TIMEOUT_BELOW_RECOMMENDED, ProblemSeverity.WARNING]]],
    ['D8 TIMEOUT_BELOW_RECOMMENDED: a timeout of 180 000 ms is not below the recommendation', { timeoutMs: 180_000 }, []],
    ['D8 SSL_AND_TLS_BOTH_SET: both SSL and TLS checked', { allowSsl: true, allowTls: true }, [[ProblemCode.SSL_AND_TLS_BOTH_SET, ProblemSeverity.WARNING]]],
    ['D8 SSL_AND_TLS_BOTH_SET: SSL alone is fine', { allowSsl: true, allowTls: false }, []],
    [
      'D8 AUTH_WITHOUT_CREDENTIALS: auth required, no username',
      { requiresAuth: true, username: null, hasPassword: true },
      [[ProblemCode.AUTH_WITHOUT_CREDENTIALS, ProblemSeverity.ERROR]],
    ],
    [
      'D8 AUTH_WITHOUT_CREDENTIALS: auth required, no password',
      { requiresAuth: true, username: 'user', hasPassword: false },
      [[ProblemCode.AUTH_WITHOUT_CREDENTIALS, ProblemSeverity.ERROR]],
    ],
    ['D8 AUTH_WITHOUT_CREDENTIALS: auth required with username and password is fine', { requiresAuth: true, username: 'user', hasPassword: true }, []],
    ['D8 AUTH_WITHOUT_CREDENTIALS: no auth required needs no credentials', { requiresAuth: false }, []],
    [
      'D8 CREDENTIALS_IN_CLEARTEXT: auth without SSL or TLS',
      { requiresAuth: true, username: 'user', hasPassword: true, allowTls: false, allowSsl: false },
      [[ProblemCode.CREDENTIALS_IN_CLEARTEXT, ProblemSeverity.WARNING]],
    ],
    ['D8 CREDENTIALS_IN_CLEARTEXT: plain connection without auth is not flagged', { requiresAuth: false, allowTls: false, allowSsl: false }, []],
    [
      'D8 AUTH_WITHOUT_CREDENTIALS + CREDENTIALS_IN_CLEARTEXT together',
      { requiresAuth: true, allowTls: false, allowSsl: false },
      [
        [ProblemCode.AUTH_WITHOUT_CREDENTIALS, ProblemSeverity.ERROR],
        [ProblemCode.CREDENTIALS_IN_CLEARTEXT, ProblemSeverity.WARNING],
      ],
    ],
  ])('%s, naming the server', (_title, flags, expected) => {
    const result = resolveMailConfig(
      snapshot({
        servers: [srv(1, { nextServerId: 2 }), srv(2, { name: 'backup', ...flags })],
        defaultServer: 1,
        library: { contactEmail: 'k@xyz.cz' },
      }),
      GENERAL,
    );
    expect(codesOf(result)).toEqual(expected.map(([code, severity]) => [code, severity, 2]));
    for (const problem of result.problems) expect(problem.message).toContain('"backup"');
  });
});

describe('resolveMailConfig: every combination (D4, D6)', () => {
  const serverKeys = ['department', 'departmentServer', 'libraryServer', 'ilsServer', 'defaultServer'] as const;
  type ServerCombo = Record<(typeof serverKeys)[number], boolean>;
  const SERVER_IDS = { departmentServer: 1, libraryServer: 2, ilsServer: 3, defaultServer: 4 } as const;

  function expectedServer(c: ServerCombo, purpose: MailPurpose): keyof typeof SERVER_IDS | null {
    if (purpose === GENERAL) {
      if (c.department && c.departmentServer) return 'departmentServer';
      if (c.libraryServer) return 'libraryServer';
      if (c.defaultServer) return 'defaultServer';
      return null;
    }
    if (c.ilsServer) return 'ilsServer';
    if (c.libraryServer) return 'libraryServer';
    if (c.defaultServer) return 'defaultServer';
    return null;
  }

  const serverRows = combinations(serverKeys)
    .filter((c) => c.department || !c.departmentServer)
    .flatMap((c) => [GENERAL, ILL].map((purpose) => ({ c, purpose, title: `${purpose} with ${label(c)}` })));

  test.each(serverRows)('D4: $title', ({ c, purpose }) => {
    const result = resolveMailConfig(
      snapshot({
        servers: Object.entries(SERVER_IDS).map(([name, id]) => srv(id, { name })),
        department: c.department ? { smtpServerId: c.departmentServer ? SERVER_IDS.departmentServer : null } : undefined,
        library: { smtpServerId: c.libraryServer ? SERVER_IDS.libraryServer : null, contactEmail: 'k@xyz.cz', shortName: 'KNIH' },
        ilsServer: c.ilsServer ? SERVER_IDS.ilsServer : undefined,
        defaultServer: c.defaultServer ? SERVER_IDS.defaultServer : undefined,
      }),
      purpose,
    );
    const winner = expectedServer(c, purpose);
    expect(serverIds(result)).toEqual(winner ? [SERVER_IDS[winner]] : []);
    expect(problems(result, ProblemCode.NO_SMTP_SERVER)).toHaveLength(winner ? 0 : 1);
    expectOneUsedWinner(result, SMTP_SERVER, winner);
    expectOneUsedWinner(result, SENDER_ADDRESS, 'k@xyz.cz');
    expectOneUsedWinner(result, SENDER_NAME, 'KNIH');
    if (purpose === ILL) {
      expect(selectionSteps(result, SMTP_SERVER)[0]).toMatchObject({ source: ResolutionSource.DEPARTMENT, outcome: SKIPPED });
      expect(selectionSteps(result, SMTP_SERVER)[0].note).toMatch(/interlibrary loan/);
    }
  });

  const senderKeys = ['department', 'departmentEmail', 'ilsEmail', 'libraryEmail', 'shortName'] as const;
  type SenderCombo = Record<(typeof senderKeys)[number], boolean>;
  const EMAILS = { departmentEmail: 'dep@xyz.cz', ilsEmail: 'mvs@xyz.cz', libraryEmail: 'k@xyz.cz' } as const;

  function expectedSender(c: SenderCombo, purpose: MailPurpose): string | null {
    if (purpose === GENERAL) {
      if (c.department && c.departmentEmail) return EMAILS.departmentEmail;
      if (c.libraryEmail) return EMAILS.libraryEmail;
      return null;
    }
    if (c.ilsEmail) return EMAILS.ilsEmail;
    if (c.libraryEmail) return EMAILS.libraryEmail;
    return null;
  }

  const senderRows = combinations(senderKeys)
    .filter((c) => c.department || !c.departmentEmail)
    .flatMap((c) => [GENERAL, ILL].map((purpose) => ({ c, purpose, title: `${purpose} with ${label(c)}` })));

  test.each(senderRows)('D6: $title', ({ c, purpose }) => {
    const result = resolveMailConfig(
      snapshot({
        servers: [srv(4)],
        defaultServer: 4,
        department: c.department ? { email: c.departmentEmail ? EMAILS.departmentEmail : null, smtpServerId: null } : undefined,
        library: { contactEmail: c.libraryEmail ? EMAILS.libraryEmail : null, shortName: c.shortName ? 'KNIH-XYZ' : null },
        ilsEmail: c.ilsEmail ? EMAILS.ilsEmail : undefined,
      }),
      purpose,
    );
    const address = expectedSender(c, purpose);
    const name = c.shortName ? 'KNIH-XYZ' : null;
    expect(result.sender).toEqual(address === null ? null : { address, name, formatted: name ? `"${name}" <${address}>` : address });
    expect(problems(result, ProblemCode.NO_SENDER)).toHaveLength(address ? 0 : 1);
    expectOneUsedWinner(result, SENDER_ADDRESS, address);
    expectOneUsedWinner(result, SENDER_NAME, name);
    expectOneUsedWinner(result, SMTP_SERVER, 'smtp-4');
    if (purpose === ILL) expect(selectionSteps(result, SENDER_ADDRESS)[0]).toMatchObject({ source: ResolutionSource.DEPARTMENT, outcome: SKIPPED });
  });
});
