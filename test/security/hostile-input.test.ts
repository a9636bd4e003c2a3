import { tableState } from '../support/db-state';
import { describeEachDatabase } from '../support/gateway';
import { closedPort } from './helpers';

/**
 * Every mutation gets hostile values in every argument: a 1 MB string, NUL, CR/LF header
 * injection, SQL metacharacters, wrong types, negative and huge numbers. The gateway answers each
 * with a client error or a correct result, never INTERNAL_SERVER_ERROR, and a refused request
 * changes no row (issue 5, D10).
 */

type Kind = 'string' | 'int' | 'id';

interface Operation {
  name: string;
  query: string;
  variables: (f: Fixture) => Record<string, any>;
  fields: Array<[path: string, kind: Kind]>;
}

interface Fixture {
  serverId: string;
  libraryId: string;
  departmentId: string;
}

const HUGE = 'x'.repeat(1_000_000);
const STRING_POISONS: unknown[] = [
  HUGE,
  'a\u0000b',
  'Name\r\nBcc: victim@example.org',
  "x'; DROP TABLE library; --",
  '"\\%s%n${x}',
  '\u202egnirts',
  123,
  { nested: true },
  ['a', 'b'],
  true,
];
const INT_POISONS: unknown[] = [-1, 0, 2147483647, 2147483648, -2147483649, 1e308, 1.5, '42', 'NaN', null];
const ID_POISONS: unknown[] = ['0', '-1', '99999999999999999999', '1 OR 1=1', 'a\u0000', HUGE, 1.5, { id: 1 }];
const POISONS: Record<Kind, unknown[]> = { string: STRING_POISONS, int: INT_POISONS, id: ID_POISONS };

const SERVER = 'name host port username password connectionTimeoutMs timeoutMs nextServerId tlsCaPem spfHint'.split(' ');
const serverFields = (prefix: string): Array<[string, Kind]> =>
  SERVER.map((field) => [`${prefix}.${field}`, field === 'port' || field.endsWith('Ms') ? 'int' : field.endsWith('Id') ? 'id' : 'string']);

const OPERATIONS: Operation[] = [
  {
    name: 'createSmtpServer',
    query: 'mutation($input: SmtpServerInput!) { createSmtpServer(input: $input) { id } }',
    variables: () => ({ input: { name: 'Hostile', host: 'smtp.hostile.example', port: 587 } }),
    fields: serverFields('input'),
  },
  {
    name: 'updateSmtpServer',
    query: 'mutation($id: ID!, $input: SmtpServerUpdateInput!, $v: Int) { updateSmtpServer(id: $id, input: $input, expectedVersion: $v) { id } }',
    variables: (f) => ({ id: f.serverId, input: { name: 'Hostile edit' } }),
    fields: [['id', 'id'], ['v', 'int'], ...serverFields('input')],
  },
  { name: 'deleteSmtpServer', query: 'mutation($id: ID!) { deleteSmtpServer(id: $id) }', variables: () => ({ id: '999999' }), fields: [['id', 'id']] },
  {
    name: 'createLibrary',
    query: 'mutation($input: LibraryInput!) { createLibrary(input: $input) { id } }',
    variables: () => ({ input: { code: 'HOSTILE', name: 'Hostile' } }),
    fields: [
      ['input.code', 'string'],
      ['input.name', 'string'],
      ['input.shortName', 'string'],
      ['input.contactEmail', 'string'],
      ['input.smtpServerId', 'id'],
    ],
  },
  {
    name: 'updateLibrary',
    query: 'mutation($id: ID!, $input: LibraryUpdateInput!, $v: Int) { updateLibrary(id: $id, input: $input, expectedVersion: $v) { id } }',
    variables: (f) => ({ id: f.libraryId, input: { name: 'Hostile edit' } }),
    fields: [
      ['id', 'id'],
      ['v', 'int'],
      ['input.code', 'string'],
      ['input.name', 'string'],
      ['input.shortName', 'string'],
      ['input.contactEmail', 'string'],
      ['input.smtpServerId', 'id'],
    ],
  },
  { name: 'deleteLibrary', query: 'mutation($id: ID!) { deleteLibrary(id: $id) }', variables: () => ({ id: '999999' }), fields: [['id', 'id']] },
  {
    name: 'createDepartment',
    query: 'mutation($input: DepartmentInput!) { createDepartment(input: $input) { id } }',
    variables: (f) => ({ input: { libraryId: f.libraryId, name: 'Hostile' } }),
    fields: [
      ['input.libraryId', 'id'],
      ['input.name', 'string'],
      ['input.email', 'string'],
      ['input.smtpServerId', 'id'],
    ],
  },
  {
    name: 'updateDepartment',
    query: 'mutation($id: ID!, $input: DepartmentUpdateInput!, $v: Int) { updateDepartment(id: $id, input: $input, expectedVersion: $v) { id } }',
    variables: (f) => ({ id: f.departmentId, input: { name: 'Hostile edit' } }),
    fields: [
      ['id', 'id'],
      ['v', 'int'],
      ['input.name', 'string'],
      ['input.email', 'string'],
      ['input.smtpServerId', 'id'],
    ],
  },
  { name: 'deleteDepartment', query: 'mutation($id: ID!) { deleteDepartment(id: $id) }', variables: () => ({ id: '999999' }), fields: [['id', 'id']] },
  {
    name: 'createSettingDefinition',
    query: 'mutation($input: SettingDefinitionInput!) { createSettingDefinition(input: $input) { key } }',
    variables: () => ({ input: { key: 'HOSTILE_KEY', description: 'd', valueType: 'STRING', allowedScopes: ['GLOBAL'] } }),
    fields: [
      ['input.key', 'string'],
      ['input.description', 'string'],
      ['input.valueType', 'string'],
      ['input.allowedScopes', 'string'],
    ],
  },
  {
    name: 'deleteSettingDefinition',
    query: 'mutation($key: String!) { deleteSettingDefinition(key: $key) }',
    variables: () => ({ key: 'NO_SUCH_KEY' }),
    fields: [['key', 'string']],
  },
  {
    name: 'setSetting',
    query: 'mutation($input: SetSettingInput!) { setSetting(input: $input) { id } }',
    variables: (f) => ({ input: { key: 'ILS_EMAIL', scope: 'LIBRARY', libraryId: f.libraryId, value: 'mvs@hostile.example' } }),
    fields: [
      ['input.key', 'string'],
      ['input.scope', 'string'],
      ['input.libraryId', 'id'],
      ['input.departmentId', 'id'],
      ['input.value', 'string'],
    ],
  },
  {
    name: 'clearSetting',
    query: 'mutation($input: SettingTargetInput!) { clearSetting(input: $input) }',
    variables: (f) => ({ input: { key: 'ILS_SMTP_SERVER', scope: 'LIBRARY', libraryId: f.libraryId } }),
    fields: [
      ['input.key', 'string'],
      ['input.scope', 'string'],
      ['input.libraryId', 'id'],
      ['input.departmentId', 'id'],
    ],
  },
  {
    name: 'sendTestMail',
    query: 'mutation($input: SendTestMailInput!) { sendTestMail(input: $input) { ok } }',
    variables: (f) => ({ input: { libraryId: f.libraryId, to: 'reader@hostile.example' } }),
    fields: [
      ['input.libraryId', 'id'],
      ['input.departmentId', 'id'],
      ['input.purpose', 'string'],
      ['input.to', 'string'],
      ['input.subject', 'string'],
      ['input.text', 'string'],
    ],
  },
  {
    name: 'verifySmtpServer',
    query: 'mutation($id: ID!) { verifySmtpServer(id: $id) { ok } }',
    variables: (f) => ({ id: f.serverId }),
    fields: [['id', 'id']],
  },
];

function withValue(variables: Record<string, any>, path: string, value: unknown): Record<string, any> {
  const copy = structuredClone(variables);
  const keys = path.split('.');
  let target = copy;
  for (const key of keys.slice(0, -1)) target = target[key];
  target[keys[keys.length - 1]] = value;
  return copy;
}

function describeValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 20)}… (${text.length} chars)` : JSON.stringify(value);
}

describeEachDatabase('hostile input (issue 5)', (gw) => {
  let fixture: Fixture;

  beforeAll(async () => {
    const port = await closedPort();
    const server = await gw().ok<any>(
      `mutation($port: Int!) { createSmtpServer(input: { name: "Target", host: "127.0.0.1", port: $port, connectionTimeoutMs: 200 }) { id } }`,
      { port },
    );
    const library = await gw().ok<any>(
      `mutation($s: ID!) { createLibrary(input: { code: "TARGET", name: "Target", contactEmail: "t@hostile.example", smtpServerId: $s }) { id } }`,
      { s: server.createSmtpServer.id },
    );
    const department = await gw().ok<any>(`mutation($l: ID!) { createDepartment(input: { libraryId: $l, name: "Desk" }) { id } }`, {
      l: library.createLibrary.id,
    });
    fixture = { serverId: server.createSmtpServer.id, libraryId: library.createLibrary.id, departmentId: department.createDepartment.id };
  });

  for (const operation of OPERATIONS) {
    it(`${operation.name}: never INTERNAL_SERVER_ERROR, and nothing written when refused`, async () => {
      const failures: string[] = [];
      for (const [path, kind] of operation.fields) {
        for (const poison of POISONS[kind]) {
          const before = await tableState(gw());
          const result = await gw().gql(operation.query, withValue(operation.variables(fixture), path, poison));
          const codes = (result.errors ?? []).map((e) => e.extensions?.code);
          const where = `${path} = ${describeValue(poison)}`;
          if (result.status >= 500 || codes.includes('INTERNAL_SERVER_ERROR'))
            failures.push(`${where}: ${result.status} ${JSON.stringify(result.errors).slice(0, 200)}`);
          if (result.errors?.length) {
            const after = await tableState(gw());
            if (JSON.stringify(after) !== JSON.stringify(before)) failures.push(`${where}: refused, but rows changed`);
          }
        }
      }
      expect(failures).toEqual([]);
    });
  }

  it('every table is still there and the fixture rows are intact', async () => {
    const data = await gw().ok<any>(`query($id: ID!) { library(id: $id) { code name departments { name } smtpServer { name } } }`, { id: fixture.libraryId });
    expect(data.library.code).toBe('TARGET');
    expect(data.library.smtpServer).not.toBeNull();
    expect(data.library.departments.length).toBeGreaterThan(0);
  });
});

/**
 * D10, R7-R9: sender addresses are plain local@domain. A quoted local part or `<`, `>`, `"`, `,`
 * or whitespace inside an address lets a From header read as someone else
 * (`"security@bank.example>"@d1.amp.test`), so every sender field refuses them, and so does the
 * test-mail recipient. The refusal names the field and does not repeat the address.
 */
describeEachDatabase('D10: sender addresses are plain', (gw) => {
  const CONFUSABLE = [
    '"security@bank.example>"@d1.amp.test',
    '"plain"@d1.amp.test',
    '"a b"@d1.amp.test',
    'security<x@d1.amp.test',
    'security>x@d1.amp.test',
    'a,b@d1.amp.test',
    'a b@d1.amp.test',
    'a\tb@d1.amp.test',
    'Bank Security <security@d1.amp.test>',
    'a@d1.amp.test, b@d1.amp.test',
    'a@d1 .amp.test',
  ];
  let libraryId: string;
  let departmentId: string;

  beforeAll(async () => {
    const library = await gw().ok<any>(`mutation { createLibrary(input: { code: "SENDERS", name: "Senders" }) { id } }`);
    libraryId = library.createLibrary.id;
    const department = await gw().ok<any>(`mutation($l: ID!) { createDepartment(input: { libraryId: $l, name: "Branch" }) { id } }`, { l: libraryId });
    departmentId = department.createDepartment.id;
    await gw().ok(`mutation { createSettingDefinition(input: { key: "REPLY_TO_EMAIL", valueType: EMAIL, allowedScopes: [GLOBAL, LIBRARY] }) { key } }`);
  });

  /** Each sender field: the request that sets it, and the field name the refusal must carry. */
  const FIELDS: Array<
    [label: string, field: string, send: (address: string) => Promise<{ errors?: Array<{ message: string; extensions?: Record<string, any> }>; data: unknown }>]
  > = [
    [
      'createLibrary contactEmail',
      'contactEmail',
      (a) => gw().gql(`mutation($a: String) { createLibrary(input: { code: "SENDERS2", name: "S2", contactEmail: $a }) { id } }`, { a }),
    ],
    [
      'updateLibrary contactEmail',
      'contactEmail',
      (a) => gw().gql(`mutation($id: ID!, $a: String) { updateLibrary(id: $id, input: { contactEmail: $a }) { id } }`, { id: libraryId, a }),
    ],
    [
      'createDepartment email',
      'email',
      (a) => gw().gql(`mutation($l: ID!, $a: String) { createDepartment(input: { libraryId: $l, name: "B2", email: $a }) { id } }`, { l: libraryId, a }),
    ],
    [
      'updateDepartment email',
      'email',
      (a) => gw().gql(`mutation($id: ID!, $a: String) { updateDepartment(id: $id, input: { email: $a }) { id } }`, { id: departmentId, a }),
    ],
    [
      'setSetting ILS_EMAIL',
      'value',
      (a) =>
        gw().gql(`mutation($l: ID, $a: String) { setSetting(input: { key: "ILS_EMAIL", scope: LIBRARY, libraryId: $l, value: $a }) { id } }`, {
          l: libraryId,
          a,
        }),
    ],
    [
      'setSetting of an EMAIL-type definition',
      'value',
      (a) => gw().gql(`mutation($a: String) { setSetting(input: { key: "REPLY_TO_EMAIL", scope: GLOBAL, value: $a }) { id } }`, { a }),
    ],
    ['sendTestMail to', 'to', (a) => gw().gql(`mutation($l: ID!, $a: String!) { sendTestMail(input: { libraryId: $l, to: $a }) { ok } }`, { l: libraryId, a })],
  ];

  it.each(FIELDS)('%s refuses every confusable address with BAD_USER_INPUT naming the field, without repeating it', async (_label, field, send) => {
    const failures: string[] = [];
    for (const address of CONFUSABLE) {
      const result = await send(address);
      const error = result.errors?.[0];
      if (error?.extensions?.code !== 'BAD_USER_INPUT' || error.extensions.field !== field)
        failures.push(`${JSON.stringify(address)}: ${JSON.stringify(result.errors ?? result.data)}`);
      else if (JSON.stringify(result.errors).includes(JSON.stringify(address).slice(1, -1)))
        failures.push(`${JSON.stringify(address)} was repeated: ${error.message}`);
    }
    expect(failures).toEqual([]);
  });

  it('a plain address is still accepted in every sender field (positive control)', async () => {
    for (const [label, , send] of FIELDS.filter(([label]) => !label.startsWith('sendTestMail') && !label.startsWith('createLibrary'))) {
      const result = await send('security@d1.amp.test');
      expect(`${label}: ${JSON.stringify(result.errors ?? null)}`).toBe(`${label}: null`);
    }
  });
});
