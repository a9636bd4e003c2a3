import { DELETE_DEPARTMENT, DELETE_LIBRARY, DELETE_SMTP_SERVER } from '../support/documents';
import { getMetadataStorage } from 'type-graphql';
import { buildGatewaySchema } from '../../src/schema';
import { describeEachDatabase, GraphQLResponse, TestGateway } from '../support/gateway';
import { connectSubscriptions } from '../support/subscriptions';
import { createDepartment, createLibrary, createServer, unique } from '../support/fixtures';
import { closedPort, errorCodes } from './helpers';

/**
 * R2 and the role matrix of SPEC.md, driven by the schema: every Query and Mutation field and
 * every protected object field is read from the built schema, and each must have a row in TABLE
 * below (and a request builder), or the test fails. Each (operation, role) cell is then sent over
 * HTTP with a real JWT and must be UNAUTHENTICATED, FORBIDDEN or allowed (no
 * UNAUTHENTICATED/FORBIDDEN error). Every combination of two roles is sent too, and is allowed
 * exactly when one of its roles alone is (SPEC.md, "Roles (R2)": roles never add up).
 */

const ROLES = ['none', 'noRoles', 'libraryAdminOwn', 'libraryAdminForeign', 'service', 'credentials', 'support'] as const;
type Role = (typeof ROLES)[number];
type Outcome = 'allowed' | 'FORBIDDEN' | 'UNAUTHENTICATED';
const LETTER: Record<string, Outcome> = { A: 'allowed', F: 'FORBIDDEN', U: 'UNAUTHENTICATED' };

/**
 * A = allowed, F = FORBIDDEN, U = UNAUTHENTICATED. "own"/"foreign": a library-admin whose token
 * lists / does not list the library the request is about. credentials = service + mail:credentials.
 */
// prettier-ignore
const TABLE: Record<string, string> = {
  //                                   none noRoles own foreign service credentials support
  'Query.smtpServers':                 'U   F       F   F       A       A           A',
  'Query.smtpServer':                  'U   F       F   F       A       A           A',
  'Query.libraries':                   'U   F       A   A       A       A           A',
  'Query.library':                     'U   F       A   F       A       A           A',
  'Query.department':                  'U   F       A   F       A       A           A',
  'Query.settingDefinitions':          'U   F       F   F       A       A           A',
  'Query.settingValues':               'U   F       F   F       A       A           A',
  'Query.effectiveSetting':            'U   F       A   F       A       A           A',
  'Query.effectiveMailConfig':         'U   F       A   F       A       A           A',
  'Query.auditLog':                    'U   F       A   A       F       F           A',
  'Query.checkSenderDomain':           'U   F       F   F       A       A           A',
  'Query.librariesConnection':         'U   F       A   A       A       A           A',
  'Query.departmentsConnection':       'U   F       A   F       A       A           A',
  'Query.smtpServersConnection':       'U   F       F   F       A       A           A',
  'Query.settingValuesConnection':     'U   F       F   F       A       A           A',
  'Query.auditLogConnection':          'U   F       A   A       F       F           A',
  'Query.mailHealthOverview':          'U   F       A   A       F       F           A',

  'Mutation.createSmtpServer':         'U   F       F   F       F       F           A',
  'Mutation.updateSmtpServer':         'U   F       F   F       F       F           A',
  'Mutation.deleteSmtpServer':         'U   F       F   F       F       F           A',
  'Mutation.createLibrary':            'U   F       F   F       F       F           A',
  'Mutation.updateLibrary':            'U   F       A   F       F       F           A',
  'Mutation.deleteLibrary':            'U   F       F   F       F       F           A',
  'Mutation.createDepartment':         'U   F       F   F       F       F           A',
  'Mutation.updateDepartment':         'U   F       A   F       F       F           A',
  'Mutation.deleteDepartment':         'U   F       F   F       F       F           A',
  'Mutation.createSettingDefinition':  'U   F       F   F       F       F           A',
  'Mutation.deleteSettingDefinition':  'U   F       F   F       F       F           A',
  'Mutation.setSetting':               'U   F       F   F       F       F           A',
  'Mutation.clearSetting':             'U   F       F   F       F       F           A',
  'Mutation.sendTestMail':             'U   F       A   F       F       F           A',
  'Mutation.verifySmtpServer':         'U   F       F   F       F       F           A',
  'Mutation.revertChange':             'U   F       F   F       F       F           A',

  // protected object fields, reached through library(id) / department(id), which the
  // library-admin of that library may read
  // a library-admin sees the servers of its own chains, without the sensitive fields, and their
  // links filtered to what it may see
  'SmtpServer.transport':              'U   F       F   F       F       A           F',
  'SmtpServer.username':               'U   F       F   F       A       A           A',
  'SmtpServer.updatedBy':              'U   F       F   F       A       A           A',
  'SmtpServer.health':                 'U   F       A   F       A       A           A',
  'SmtpServer.tlsCaSubject':           'U   F       F   F       A       A           A',
  'SmtpServer.previousServers':        'U   F       A   F       A       A           A',
  'SmtpServer.usedByLibraries':        'U   F       A   F       A       A           A',
  'SmtpServer.usedByDepartments':      'U   F       A   F       A       A           A',
  'Library.effectiveMailConfig':       'U   F       A   F       A       A           A',
  'Department.effectiveMailConfig':    'U   F       A   F       A       A           A',

  // over WebSocket (graphql-ws): no token closes with 4401, no role that reads with 4403, and a
  // library outside a library-admin's scope is FORBIDDEN in the subscription's first result
  'Subscription.effectiveMailConfigChanged': 'U   F       A   F       A       A           A',
};

/** Fields the brief names as protected; they must be found in the schema metadata too. */
const REQUIRED_PROTECTED_FIELDS = [
  'SmtpServer.transport',
  'SmtpServer.username',
  'SmtpServer.updatedBy',
  'SmtpServer.tlsCaSubject',
  'SmtpServer.previousServers',
  'SmtpServer.usedByLibraries',
  'SmtpServer.usedByDepartments',
];

function expectation(operation: string, role: Role): Outcome {
  const letters = TABLE[operation].trim().split(/\s+/);
  if (letters.length !== ROLES.length) throw new Error(`${operation}: ${letters.length} cells, expected ${ROLES.length}`);
  const outcome = LETTER[letters[ROLES.indexOf(role)]];
  if (!outcome) throw new Error(`${operation}: unknown cell "${letters[ROLES.indexOf(role)]}"`);
  return outcome;
}

interface Fixture {
  serverId: string;
  libraryId: string;
  foreignLibraryId: string;
  departmentId: string;
  settingKey: string;
}

interface Request {
  query: string;
  variables?: Record<string, unknown>;
}

type Builder = (f: Fixture, gw: TestGateway) => Request | Promise<Request>;

/** One minimal valid request per operation; deletes get a fresh row each (created as support). */
const BUILDERS: Record<string, Builder> = {
  'Query.smtpServers': () => ({ query: `{ smtpServers { id } }` }),
  'Query.smtpServer': (f) => ({ query: `query SmtpServer($id: ID!) { smtpServer(id: $id) { id } }`, variables: { id: f.serverId } }),
  'Query.libraries': () => ({ query: `{ libraries { id } }` }),
  'Query.library': (f) => ({ query: `query Library($id: ID!) { library(id: $id) { id } }`, variables: { id: f.libraryId } }),
  'Query.department': (f) => ({ query: `query Department($id: ID!) { department(id: $id) { id } }`, variables: { id: f.departmentId } }),
  'Query.settingDefinitions': () => ({ query: `{ settingDefinitions { key } }` }),
  'Query.settingValues': () => ({ query: `{ settingValues { id } }` }),
  'Query.effectiveSetting': (f) => ({
    query: `query EffectiveSetting($k: String!, $l: ID) { effectiveSetting(key: $k, libraryId: $l) { key value } }`,
    variables: { k: f.settingKey, l: f.libraryId },
  }),
  'Query.effectiveMailConfig': (f) => ({
    query: `query EffectiveMailConfig($l: ID!, $d: ID) { effectiveMailConfig(libraryId: $l, departmentId: $d) { purpose servers { id } } }`,
    variables: { l: f.libraryId, d: f.departmentId },
  }),
  'Query.checkSenderDomain': (f) => ({
    query: `query CheckSenderDomain($ids: [ID!]!) { checkSenderDomain(sender: "matrix@example.cz", serverIds: $ids) { __typename } }`,
    variables: { ids: [f.serverId] },
  }),
  'Query.mailHealthOverview': () => ({ query: `query MailHealthOverview { mailHealthOverview { totalCount } }` }),
  'Query.auditLog': (f) => ({
    query: `query AuditLog($id: ID) { auditLog(entityType: "Library", entityId: $id, limit: 5) { id action } }`,
    variables: { id: f.libraryId },
  }),
  'Query.librariesConnection': () => ({ query: `{ librariesConnection(first: 5) { totalCount nodes { id } } }` }),
  'Query.departmentsConnection': (f) => ({
    query: `query DepartmentsConnection($l: ID) { departmentsConnection(libraryId: $l) { totalCount nodes { id } } }`,
    variables: { l: f.libraryId },
  }),
  'Query.smtpServersConnection': () => ({ query: `{ smtpServersConnection { totalCount nodes { id } } }` }),
  'Query.settingValuesConnection': () => ({ query: `{ settingValuesConnection { totalCount nodes { id } } }` }),
  'Query.auditLogConnection': (f) => ({
    query: `query AuditLogConnection($id: ID) { auditLogConnection(entityType: "Library", entityId: $id, first: 5) { totalCount nodes { id } } }`,
    variables: { id: f.libraryId },
  }),

  'Mutation.createSmtpServer': () => ({
    query: `mutation CreateSmtpServer($input: SmtpServerInput!) { createSmtpServer(input: $input) { id } }`,
    variables: { input: { name: unique('Matrix server'), host: 'smtp.example.org', port: 587 } },
  }),
  'Mutation.updateSmtpServer': (f) => ({
    query: `mutation UpdateSmtpServer($id: ID!) { updateSmtpServer(id: $id, input: { timeoutMs: 200000 }) { id } }`,
    variables: { id: f.serverId },
  }),
  'Mutation.deleteSmtpServer': async (_f, gw) => ({
    query: DELETE_SMTP_SERVER,
    variables: { id: (await createServer(gw)).id },
  }),
  'Mutation.createLibrary': () => ({
    query: `mutation CreateLibrary($input: LibraryInput!) { createLibrary(input: $input) { id } }`,
    variables: { input: { code: unique('MTX'), name: 'Matrix library' } },
  }),
  'Mutation.updateLibrary': (f) => ({
    query: `mutation UpdateLibrary($id: ID!, $s: String) { updateLibrary(id: $id, input: { shortName: $s }) { id } }`,
    variables: { id: f.libraryId, s: unique('SN') },
  }),
  'Mutation.deleteLibrary': async (_f, gw) => ({ query: DELETE_LIBRARY, variables: { id: (await createLibrary(gw)).id } }),
  'Mutation.createDepartment': (f) => ({
    query: `mutation CreateDepartment($input: DepartmentInput!) { createDepartment(input: $input) { id } }`,
    variables: { input: { libraryId: f.libraryId, name: unique('Matrix department') } },
  }),
  'Mutation.updateDepartment': (f) => ({
    query: `mutation UpdateDepartment($id: ID!, $e: String) { updateDepartment(id: $id, input: { email: $e }) { id } }`,
    variables: { id: f.departmentId, e: `${unique('dept').toLowerCase()}@example.cz` },
  }),
  'Mutation.deleteDepartment': async (f, gw) => ({
    query: DELETE_DEPARTMENT,
    variables: { id: (await createDepartment(gw, f.libraryId)).id },
  }),
  'Mutation.createSettingDefinition': () => ({
    query: `mutation CreateSettingDefinition($input: SettingDefinitionInput!) { createSettingDefinition(input: $input) { key } }`,
    variables: { input: { key: unique('MATRIX_DEF').toUpperCase(), valueType: 'STRING', allowedScopes: ['GLOBAL'] } },
  }),
  'Mutation.deleteSettingDefinition': async (_f, gw) => {
    const key = unique('MATRIX_TMP').toUpperCase();
    await gw.ok(
      `mutation CreateSettingDefinition($key: String!) { createSettingDefinition(input: { key: $key, valueType: STRING, allowedScopes: [GLOBAL] }) { key } }`,
      { key },
    );
    return { query: `mutation DeleteSettingDefinition($key: String!) { deleteSettingDefinition(key: $key) }`, variables: { key } };
  },
  'Mutation.setSetting': (f) => ({
    query: `mutation SetSetting($input: SetSettingInput!) { setSetting(input: $input) { key value } }`,
    variables: { input: { key: f.settingKey, scope: 'LIBRARY', libraryId: f.libraryId, value: unique('note') } },
  }),
  'Mutation.clearSetting': (f) => ({
    query: `mutation ClearSetting($input: SettingTargetInput!) { clearSetting(input: $input) }`,
    variables: { input: { key: f.settingKey, scope: 'LIBRARY', libraryId: f.libraryId } },
  }),
  'Mutation.sendTestMail': (f) => ({
    query: `mutation SendTestMail($l: ID!) { sendTestMail(input: { libraryId: $l, to: "reader@example.cz" }) { ok attempts { ok errorCode } } }`,
    variables: { l: f.libraryId },
  }),
  'Mutation.verifySmtpServer': (f) => ({
    query: `mutation VerifySmtpServer($id: ID!) { verifySmtpServer(id: $id) { ok reachedStage errorCode } }`,
    variables: { id: f.serverId },
  }),
  // a fresh revision each time, so an allowed revert always has something to undo
  'Mutation.revertChange': async (_f, gw) => {
    const { id } = await createLibrary(gw);
    const log = await gw.ok<{ auditLog: Array<{ revision: number }> }>(
      `query AuditLog($id: ID) { auditLog(entityType: "Library", entityId: $id, limit: 1) { revision } }`,
      { id },
    );
    return { query: `mutation RevertChange($r: Int!) { revertChange(revision: $r) { entries { id } notices } }`, variables: { r: log.auditLog[0].revision } };
  },

  'SmtpServer.transport': (f) => ({
    query: `query Library($l: ID!) { library(id: $l) { smtpServer { id transport { host auth { user } } } } }`,
    variables: { l: f.libraryId },
  }),
  'SmtpServer.username': (f) => ({ query: `query Library($l: ID!) { library(id: $l) { smtpServer { id host username } } }`, variables: { l: f.libraryId } }),
  'SmtpServer.health': (f) => ({ query: `query Library($l: ID!) { library(id: $l) { smtpServer { id health { status } } } }`, variables: { l: f.libraryId } }),
  'SmtpServer.updatedBy': (f) => ({ query: `query Library($l: ID!) { library(id: $l) { smtpServer { id host updatedBy } } }`, variables: { l: f.libraryId } }),
  'SmtpServer.tlsCaSubject': (f) => ({
    query: `query Library($l: ID!) { library(id: $l) { smtpServer { id host tlsCaSubject } } }`,
    variables: { l: f.libraryId },
  }),
  'SmtpServer.previousServers': (f) => ({
    query: `query Library($l: ID!) { library(id: $l) { smtpServer { id previousServers { id } } } }`,
    variables: { l: f.libraryId },
  }),
  'SmtpServer.usedByLibraries': (f) => ({
    query: `query Library($l: ID!) { library(id: $l) { smtpServer { id usedByLibraries { id } } } }`,
    variables: { l: f.libraryId },
  }),
  'SmtpServer.usedByDepartments': (f) => ({
    query: `query Library($l: ID!) { library(id: $l) { smtpServer { id usedByDepartments { id } } } }`,
    variables: { l: f.libraryId },
  }),
  'Library.effectiveMailConfig': (f) => ({
    query: `query Library($l: ID!) { library(id: $l) { id effectiveMailConfig { purpose } } }`,
    variables: { l: f.libraryId },
  }),
  'Department.effectiveMailConfig': (f) => ({
    query: `query Department($d: ID!) { department(id: $d) { id effectiveMailConfig { purpose } } }`,
    variables: { d: f.departmentId },
  }),
  'Subscription.effectiveMailConfigChanged': (f) => ({
    query: `subscription Changed($l: ID!, $d: ID) { effectiveMailConfigChanged(libraryId: $l, departmentId: $d) { purpose } }`,
    variables: { l: f.libraryId, d: f.departmentId },
  }),
};

/** A close of the WebSocket connection, read as the error code HTTP would have answered with. */
const CLOSE_CODES: Record<number, string> = { 4401: 'UNAUTHENTICATED', 4403: 'FORBIDDEN' };

/** A subscription's first result, or its refusal at connection_init as an error with the matching code. */
async function firstResult(url: string, token: string | null, request: Request): Promise<GraphQLResponse<Record<string, any>>> {
  const client = connectSubscriptions(url, token);
  try {
    const subscription = client.subscribe(request.query, request.variables);
    const first = await Promise.race([subscription.next(), client.closed]);
    if ('code' in first) return { status: first.code, data: undefined, errors: [{ message: first.reason, extensions: { code: CLOSE_CODES[first.code] } }] };
    return { status: 200, data: first.data, errors: first.errors as GraphQLResponse['errors'] };
  } finally {
    await client.dispose();
  }
}

/** Roles that can read the parent object of the protected fields above (library / department of the own library). */
const PARENT_READERS: Role[] = ['libraryAdminOwn', 'service', 'credentials', 'support'];

/** Every Query and Mutation field of the schema, and every object field with an authorization rule. */
async function schemaOperations(): Promise<string[]> {
  const schema = await buildGatewaySchema();
  const operations = [
    ...Object.keys(schema.getQueryType()?.getFields() ?? {}).map((name) => `Query.${name}`),
    ...Object.keys(schema.getMutationType()?.getFields() ?? {}).map((name) => `Mutation.${name}`),
  ];
  if (schema.getSubscriptionType()) operations.push(...Object.keys(schema.getSubscriptionType()!.getFields()).map((name) => `Subscription.${name}`));
  // @Authorized on object fields is not visible in the SDL; TypeGraphQL's metadata has it
  const metadata = getMetadataStorage();
  const graphqlName = (target: object & { name: string }) => metadata.objectTypes.find((o) => o.target === target)?.name ?? target.name;
  const protectedFields = new Set<string>();
  for (const resolver of metadata.fieldResolvers) {
    const type = resolver.getObjectType?.();
    if (resolver.roles !== undefined && type) protectedFields.add(`${graphqlName(type)}.${resolver.schemaName}`);
  }
  for (const field of metadata.fields) {
    if (field.roles !== undefined) protectedFields.add(`${graphqlName(field.target)}.${field.name}`);
  }
  for (const name of protectedFields) {
    const [type, field] = name.split('.');
    if (type === 'Query' || type === 'Mutation') continue;
    // only object types that are really in the served schema
    const graphqlType = schema.getType(type) as { getFields?: () => Record<string, unknown> } | undefined;
    if (graphqlType?.getFields?.()[field]) operations.push(name);
  }
  return [...new Set(operations)].sort();
}

const CASES: Array<[string, Role, Outcome]> = Object.keys(TABLE).flatMap((operation) =>
  ROLES.map((role): [string, Role, Outcome] => [operation, role, expectation(operation, role)]),
);

/** The roles a token can combine; a library-admin is tried with the fixture's library in its token and without. */
const COMBINABLE = ['support', 'libraryAdminOwn', 'libraryAdminForeign', 'service', 'credentials'] as const;
type Combinable = (typeof COMBINABLE)[number];
type Combination = `${Combinable}+${Combinable}`;

/** Every pair of two different roles (the two library-admin variants are one role, so never paired). */
const COMBINATIONS: Array<[Combinable, Combinable]> = COMBINABLE.flatMap((a, i) =>
  COMBINABLE.slice(i + 1)
    .filter((b) => !(a.startsWith('libraryAdmin') && b.startsWith('libraryAdmin')))
    .map((b): [Combinable, Combinable] => [a, b]),
);

/** One role alone must allow it: the combination is allowed exactly when one of its roles is. */
function combinedExpectation(operation: string, roles: readonly Role[]): Outcome {
  return roles.some((role) => expectation(operation, role) === 'allowed') ? 'allowed' : 'FORBIDDEN';
}

const COMBINATION_CASES: Array<[string, Combination, Outcome]> = Object.keys(TABLE).flatMap((operation) =>
  COMBINATIONS.map(([a, b]): [string, Combination, Outcome] => [operation, `${a}+${b}`, combinedExpectation(operation, [a, b])]),
);

/** The roles whose audit capability reaches the fixture's library (the others get an empty page). */
const AUDITS_FIXTURE_LIBRARY: Role[] = ['libraryAdminOwn', 'support'];

describe('R2: the role matrix table covers the schema', () => {
  test('R2: every Query, Mutation and protected object field of the schema has a row, and no row is stale', async () => {
    const operations = await schemaOperations();
    expect(operations.length).toBeGreaterThan(25);
    expect(operations).toEqual(expect.arrayContaining(REQUIRED_PROTECTED_FIELDS));
    expect(Object.keys(TABLE).sort()).toEqual(operations);
  });

  test('R2: every row has a request builder and seven cells', () => {
    expect(Object.keys(BUILDERS).sort()).toEqual(Object.keys(TABLE).sort());
    for (const operation of Object.keys(TABLE))
      for (const role of ROLES) expect(['allowed', 'FORBIDDEN', 'UNAUTHENTICATED']).toContain(expectation(operation, role));
  });

  test('R2: without a token everything is UNAUTHENTICATED, with a token without roles everything is FORBIDDEN', () => {
    for (const operation of Object.keys(TABLE)) {
      expect(expectation(operation, 'none')).toBe('UNAUTHENTICATED');
      expect(expectation(operation, 'noRoles')).toBe('FORBIDDEN');
    }
  });
});

/** Claims of one role, as the fixture's tokens carry them. */
function claimsOf(role: Combinable, f: Fixture): { roles: string[]; libraries: number[]; scope?: string } {
  switch (role) {
    case 'support':
      return { roles: ['support'], libraries: [] };
    case 'libraryAdminOwn':
      return { roles: ['library-admin'], libraries: [Number(f.libraryId)] };
    case 'libraryAdminForeign':
      return { roles: ['library-admin'], libraries: [Number(f.foreignLibraryId)] };
    case 'service':
      return { roles: ['service'], libraries: [] };
    case 'credentials':
      return { roles: ['service'], libraries: [], scope: 'mail:credentials' };
  }
}

/** The value at the path of an error's parent, e.g. data.library.smtpServer for .../smtpServer/username. */
function parentOf(data: unknown, path: ReadonlyArray<string | number>): unknown {
  return path.slice(0, -1).reduce<unknown>((node, key) => (node === null || node === undefined ? node : (node as Record<string | number, unknown>)[key]), data);
}

describeEachDatabase('R2: role matrix over HTTP', (gw) => {
  const fixture = {} as Fixture;
  const tokens = {} as Record<Role | Combination, string | null>;

  beforeAll(async () => {
    const port = await closedPort();
    const server = await createServer(gw(), {
      host: '127.0.0.1',
      port,
      username: 'matrix',
      password: 'matrix-password',
      requiresAuth: true,
      connectionTimeoutMs: 1_000,
    });
    // a second server pointing at the first, so previousServers has something to show
    await createServer(gw(), { nextServerId: server.id });
    fixture.serverId = server.id;
    fixture.libraryId = (await createLibrary(gw(), { contactEmail: 'matrix@example.cz', smtpServerId: server.id })).id;
    fixture.foreignLibraryId = (await createLibrary(gw(), { contactEmail: 'foreign@example.cz' })).id;
    fixture.departmentId = (await createDepartment(gw(), fixture.libraryId, { smtpServerId: server.id })).id;
    fixture.settingKey = 'MATRIX_NOTE';
    await gw().ok(
      `mutation { createSettingDefinition(input: { key: "MATRIX_NOTE", valueType: STRING, allowedScopes: [GLOBAL, LIBRARY, DEPARTMENT] }) { key } }`,
    );

    tokens.none = null;
    tokens.noRoles = await gw().token({ sub: 'matrix-nobody', roles: [], libraries: [Number(fixture.libraryId)], scope: 'mail:credentials' });
    tokens.libraryAdminOwn = await gw().token({ sub: 'matrix-own', roles: ['library-admin'], libraries: [Number(fixture.libraryId)] });
    tokens.libraryAdminForeign = await gw().token({ sub: 'matrix-foreign', roles: ['library-admin'], libraries: [Number(fixture.foreignLibraryId)] });
    tokens.service = gw().tokens.service;
    tokens.credentials = gw().tokens.credentials;
    tokens.support = gw().tokens.support;
    for (const [a, b] of COMBINATIONS) {
      const [first, second] = [claimsOf(a, fixture), claimsOf(b, fixture)];
      tokens[`${a}+${b}`] = await gw().token({
        sub: `matrix-${a}-${b}`,
        roles: [...new Set([...first.roles, ...second.roles])],
        libraries: [...first.libraries, ...second.libraries],
        scope: first.scope ?? second.scope,
      });
    }
  });

  test('R2: the live schema (introspection over HTTP) has exactly the Query and Mutation fields of the table', async () => {
    const data = await gw().ok<{ __schema: { queryType: { fields: Array<{ name: string }> }; mutationType: { fields: Array<{ name: string }> } } }>(
      `{ __schema { queryType { fields { name } } mutationType { fields { name } } } }`,
    );
    const live = [
      ...data.__schema.queryType.fields.map((f) => `Query.${f.name}`),
      ...data.__schema.mutationType.fields.map((f) => `Mutation.${f.name}`),
    ].sort();
    expect(live).toEqual(
      Object.keys(TABLE)
        .filter((k) => k.startsWith('Query.') || k.startsWith('Mutation.'))
        .sort(),
    );
  });

  async function check(operation: string, roles: readonly Role[], token: string | null, outcome: Outcome): Promise<void> {
    const request = await BUILDERS[operation](fixture, gw());
    const isMutation = operation.startsWith('Mutation.');
    const auditBefore = isMutation ? Number((await gw().dataSource.query('SELECT COUNT(*) AS n FROM audit_entry'))[0].n) : 0;
    const isSubscription = operation.startsWith('Subscription.');
    const result = isSubscription
      ? await firstResult(gw().url, token, request)
      : await gw().gql<Record<string, any>>(request.query, request.variables ?? {}, token);
    const codes = errorCodes(result);
    if (outcome === 'allowed') {
      expect(codes).not.toContain('UNAUTHENTICATED');
      expect(codes).not.toContain('FORBIDDEN');
      expect(result.errors).toBeUndefined();
      expect(Object.values(result.data ?? {}).every((v) => v !== null)).toBe(true);
      if (operation === 'Mutation.sendTestMail') {
        // nothing listens on the server's port: delivery fails, which is a result, not an error
        expect(result.data!.sendTestMail.ok).toBe(false);
        expect(result.data!.sendTestMail.attempts[0].errorCode).toBe('CONNECTION_FAILED');
      }
      if (operation === 'Mutation.verifySmtpServer') expect(result.data!.verifySmtpServer.ok).toBe(false);
      if (operation === 'SmtpServer.transport') expect(result.data!.library.smtpServer.transport.auth.user).toBe('matrix');
      if (operation === 'SmtpServer.username') expect(result.data!.library.smtpServer.username).toBe('matrix');
      // the audit trail reaches only the libraries that the audit capability itself reaches
      if (operation === 'Query.auditLog') expect(result.data!.auditLog.length > 0).toBe(roles.some((role) => AUDITS_FIXTURE_LIBRARY.includes(role)));
      if (operation === 'Query.auditLogConnection') {
        expect(result.data!.auditLogConnection.totalCount > 0).toBe(roles.some((role) => AUDITS_FIXTURE_LIBRARY.includes(role)));
      }
    } else {
      expect(codes.length).toBeGreaterThan(0);
      expect(new Set(codes)).toEqual(new Set([outcome]));
      if (!operation.startsWith('Query.') && !isMutation && !isSubscription && outcome === 'FORBIDDEN' && roles.some((role) => PARENT_READERS.includes(role))) {
        // refused at the protected field itself, not somewhere on the way to it, and the object around it stays
        const field = operation.split('.')[1];
        const atField = result.errors!.filter((e) => e.path?.[e.path.length - 1] === field);
        expect(atField.length).toBeGreaterThan(0);
        for (const error of atField) expect(parentOf(result.data, error.path!)).toEqual(expect.objectContaining({ id: expect.any(String) }));
      }
      if (isMutation) {
        const auditAfter = Number((await gw().dataSource.query('SELECT COUNT(*) AS n FROM audit_entry'))[0].n);
        expect(auditAfter).toBe(auditBefore);
      }
    }
  }

  test.each(CASES)('R2: %s as %s -> %s', async (operation, role, outcome) => {
    await check(operation, [role], tokens[role], outcome);
  });

  test.each(COMBINATION_CASES)('R2: %s as %s -> %s (one role alone must allow it)', async (operation, combination, outcome) => {
    await check(operation, combination.split('+') as Role[], tokens[combination], outcome);
  });
});
