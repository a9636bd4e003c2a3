import { DELETE_DEPARTMENT, DELETE_LIBRARY, DELETE_SMTP_SERVER } from '../support/documents';
import { SignJWT, UnsecuredJWT } from 'jose';
import { describeEachDatabase, GraphQLResponse, TEST_JWT_SECRET } from '../support/gateway';
import { tableState } from '../support/db-state';
import { createDepartment, createLibrary, createServer, unique } from '../support/fixtures';

/**
 * R2 and the role matrix of SPEC.md through the real HTTP API, with real JWTs, on both
 * databases: who may read and change what, UNAUTHENTICATED without a valid token, FORBIDDEN for
 * everything the matrix does not grant, and nothing written by a refused mutation.
 */

type Identity =
  | 'support'
  | 'service'
  | 'credentials'
  | 'libraryAdmin'
  | 'libraryAdminAndService'
  | 'libraryAdminAndCredentials'
  | 'noRoles'
  | 'unknownRole'
  | 'librariesWithoutRole'
  | 'anonymous';
/** 'ok' = data and no errors; otherwise the expected extensions.code. */
type Outcome = 'ok' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'IN_USE';

interface Fixture {
  serverId: string;
  ownLibraryId: string;
  ownLibraryCode: string;
  ownDepartmentId: string;
  foreignLibraryId: string;
  foreignDepartmentId: string;
}

interface Operation {
  query: string;
  variables?: Record<string, unknown>;
}

interface Row {
  name: string;
  mutation: boolean;
  /** Builds the request; may create throw-away rows (as support) for deletes. */
  build: (f: Fixture, support: Helpers) => Promise<Operation> | Operation;
  support: Outcome;
  service: Outcome;
  libraryAdmin: Outcome;
}

interface Helpers {
  createServer(): Promise<string>;
  createLibrary(): Promise<string>;
  createDepartment(libraryId: string): Promise<string>;
  createDefinition(): Promise<string>;
}

const q = (query: string, variables: Record<string, unknown> = {}): Operation => ({ query, variables });

const UPDATE_LIBRARY = `mutation UpdateLibrary($id: ID!, $input: LibraryUpdateInput!) { updateLibrary(id: $id, input: $input) { id } }`;
const UPDATE_DEPARTMENT = `mutation UpdateDepartment($id: ID!, $input: DepartmentUpdateInput!) { updateDepartment(id: $id, input: $input) { id } }`;
const EFFECTIVE_SETTING = `query EffectiveSetting($l: ID, $d: ID) { effectiveSetting(key: "NOTICE_FOOTER", libraryId: $l, departmentId: $d) { key value trace { source outcome } } }`;

/** The role matrix (SPEC.md, "Roles (R2)"); `credentials` is `service` with mail:credentials and expects the same. */
const MATRIX: Row[] = [
  // reading
  { name: 'smtpServers', mutation: false, build: () => q(`{ smtpServers { id name } }`), support: 'ok', service: 'ok', libraryAdmin: 'FORBIDDEN' },
  {
    name: 'smtpServer(id)',
    mutation: false,
    build: (f) => q(`query SmtpServer($id: ID!) { smtpServer(id: $id) { id } }`, { id: f.serverId }),
    support: 'ok',
    service: 'ok',
    libraryAdmin: 'FORBIDDEN',
  },
  { name: 'libraries', mutation: false, build: () => q(`{ libraries { id } }`), support: 'ok', service: 'ok', libraryAdmin: 'ok' },
  {
    name: 'library(own id)',
    mutation: false,
    build: (f) => q(`query Library($id: ID!) { library(id: $id) { id departments { id } } }`, { id: f.ownLibraryId }),
    support: 'ok',
    service: 'ok',
    libraryAdmin: 'ok',
  },
  {
    name: 'library(foreign id)',
    mutation: false,
    build: (f) => q(`query Library($id: ID!) { library(id: $id) { id } }`, { id: f.foreignLibraryId }),
    support: 'ok',
    service: 'ok',
    libraryAdmin: 'FORBIDDEN',
  },
  {
    name: 'department(own)',
    mutation: false,
    build: (f) => q(`query Department($id: ID!) { department(id: $id) { id library { id } } }`, { id: f.ownDepartmentId }),
    support: 'ok',
    service: 'ok',
    libraryAdmin: 'ok',
  },
  {
    name: 'department(foreign)',
    mutation: false,
    build: (f) => q(`query Department($id: ID!) { department(id: $id) { id } }`, { id: f.foreignDepartmentId }),
    support: 'ok',
    service: 'ok',
    libraryAdmin: 'FORBIDDEN',
  },
  { name: 'settingDefinitions', mutation: false, build: () => q(`{ settingDefinitions { key } }`), support: 'ok', service: 'ok', libraryAdmin: 'FORBIDDEN' },
  { name: 'settingValues', mutation: false, build: () => q(`{ settingValues { id key } }`), support: 'ok', service: 'ok', libraryAdmin: 'FORBIDDEN' },
  {
    name: 'effectiveSetting(own library)',
    mutation: false,
    build: (f) => q(EFFECTIVE_SETTING, { l: f.ownLibraryId }),
    support: 'ok',
    service: 'ok',
    libraryAdmin: 'ok',
  },
  {
    name: 'effectiveSetting(own department)',
    mutation: false,
    build: (f) => q(EFFECTIVE_SETTING, { d: f.ownDepartmentId }),
    support: 'ok',
    service: 'ok',
    libraryAdmin: 'ok',
  },
  {
    name: 'effectiveSetting(foreign library)',
    mutation: false,
    build: (f) => q(EFFECTIVE_SETTING, { l: f.foreignLibraryId }),
    support: 'ok',
    service: 'ok',
    libraryAdmin: 'FORBIDDEN',
  },
  {
    name: 'effectiveSetting(foreign department)',
    mutation: false,
    build: (f) => q(EFFECTIVE_SETTING, { d: f.foreignDepartmentId }),
    support: 'ok',
    service: 'ok',
    libraryAdmin: 'FORBIDDEN',
  },
  {
    name: 'effectiveSetting(no library: global)',
    mutation: false,
    build: () => q(EFFECTIVE_SETTING, {}),
    support: 'ok',
    service: 'ok',
    libraryAdmin: 'FORBIDDEN',
  },
  {
    name: 'effectiveMailConfig(own library)',
    mutation: false,
    build: (f) => q(`query EffectiveMailConfig($l: ID!) { effectiveMailConfig(libraryId: $l) { purpose problems { code } } }`, { l: f.ownLibraryId }),
    support: 'ok',
    service: 'ok',
    libraryAdmin: 'ok',
  },
  {
    name: 'effectiveMailConfig(foreign library)',
    mutation: false,
    build: (f) => q(`query EffectiveMailConfig($l: ID!) { effectiveMailConfig(libraryId: $l) { purpose } }`, { l: f.foreignLibraryId }),
    support: 'ok',
    service: 'ok',
    libraryAdmin: 'FORBIDDEN',
  },

  // SMTP servers
  {
    name: 'createSmtpServer',
    mutation: true,
    build: () =>
      q(`mutation CreateSmtpServer($input: SmtpServerInput!) { createSmtpServer(input: $input) { id } }`, {
        input: { name: unique('Server'), host: 'smtp.example.org', port: 25 },
      }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'FORBIDDEN',
  },
  {
    name: 'updateSmtpServer',
    mutation: true,
    build: (f) => q(`mutation UpdateSmtpServer($id: ID!) { updateSmtpServer(id: $id, input: { timeoutMs: 200000 }) { id } }`, { id: f.serverId }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'FORBIDDEN',
  },
  {
    name: 'deleteSmtpServer',
    mutation: true,
    build: async (_f, h) => q(DELETE_SMTP_SERVER, { id: await h.createServer() }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'FORBIDDEN',
  },

  // libraries
  {
    name: 'createLibrary',
    mutation: true,
    build: () =>
      q(`mutation CreateLibrary($input: LibraryInput!) { createLibrary(input: $input) { id } }`, { input: { code: unique('LIB'), name: 'New library' } }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'FORBIDDEN',
  },
  {
    name: 'updateLibrary(own shortName)',
    mutation: true,
    build: (f) => q(UPDATE_LIBRARY, { id: f.ownLibraryId, input: { shortName: unique('OWN') } }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'ok',
  },
  {
    name: 'updateLibrary(own contactEmail)',
    mutation: true,
    build: (f) => q(UPDATE_LIBRARY, { id: f.ownLibraryId, input: { contactEmail: `${unique('contact').toLowerCase()}@example.cz` } }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'ok',
  },
  {
    name: 'updateLibrary(own code)',
    mutation: true,
    build: (f) => q(UPDATE_LIBRARY, { id: f.ownLibraryId, input: { code: f.ownLibraryCode } }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'FORBIDDEN',
  },
  {
    name: 'updateLibrary(own smtpServerId)',
    mutation: true,
    build: (f) => q(UPDATE_LIBRARY, { id: f.ownLibraryId, input: { smtpServerId: f.serverId } }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'FORBIDDEN',
  },
  {
    name: 'updateLibrary(own smtpServerId: null)',
    mutation: true,
    build: (f) => q(UPDATE_LIBRARY, { id: f.ownLibraryId, input: { smtpServerId: null } }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'FORBIDDEN',
  },
  {
    name: 'updateLibrary(own name)',
    mutation: true,
    build: (f) => q(UPDATE_LIBRARY, { id: f.ownLibraryId, input: { name: 'Own library' } }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'FORBIDDEN',
  },
  {
    name: 'updateLibrary(own shortName together with code)',
    mutation: true,
    build: (f) => q(UPDATE_LIBRARY, { id: f.ownLibraryId, input: { shortName: 'MIXED', code: f.ownLibraryCode } }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'FORBIDDEN',
  },
  {
    name: 'updateLibrary(foreign shortName)',
    mutation: true,
    build: (f) => q(UPDATE_LIBRARY, { id: f.foreignLibraryId, input: { shortName: unique('FOREIGN') } }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'FORBIDDEN',
  },
  {
    name: 'deleteLibrary(unused)',
    mutation: true,
    build: async (_f, h) => q(DELETE_LIBRARY, { id: await h.createLibrary() }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'FORBIDDEN',
  },
  {
    name: 'deleteLibrary(own, with departments)',
    mutation: true,
    build: (f) => q(DELETE_LIBRARY, { id: f.ownLibraryId }),
    support: 'IN_USE',
    service: 'FORBIDDEN',
    libraryAdmin: 'FORBIDDEN',
  },

  // departments
  {
    name: 'createDepartment(own library)',
    mutation: true,
    build: (f) =>
      q(`mutation CreateDepartment($input: DepartmentInput!) { createDepartment(input: $input) { id } }`, {
        input: { libraryId: f.ownLibraryId, name: unique('Dept') },
      }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'FORBIDDEN',
  },
  {
    name: 'updateDepartment(own email)',
    mutation: true,
    build: (f) => q(UPDATE_DEPARTMENT, { id: f.ownDepartmentId, input: { email: `${unique('dept').toLowerCase()}@example.cz` } }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'ok',
  },
  {
    name: 'updateDepartment(own email: null)',
    mutation: true,
    build: (f) => q(UPDATE_DEPARTMENT, { id: f.ownDepartmentId, input: { email: null } }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'ok',
  },
  {
    name: 'updateDepartment(own name)',
    mutation: true,
    build: (f) => q(UPDATE_DEPARTMENT, { id: f.ownDepartmentId, input: { name: 'Renamed' } }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'FORBIDDEN',
  },
  {
    name: 'updateDepartment(own smtpServerId)',
    mutation: true,
    build: (f) => q(UPDATE_DEPARTMENT, { id: f.ownDepartmentId, input: { smtpServerId: f.serverId } }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'FORBIDDEN',
  },
  {
    name: 'updateDepartment(foreign email)',
    mutation: true,
    build: (f) => q(UPDATE_DEPARTMENT, { id: f.foreignDepartmentId, input: { email: 'foreign@example.cz' } }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'FORBIDDEN',
  },
  {
    name: 'deleteDepartment(own)',
    mutation: true,
    build: async (f, h) => q(DELETE_DEPARTMENT, { id: await h.createDepartment(f.ownLibraryId) }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'FORBIDDEN',
  },

  // settings
  {
    name: 'createSettingDefinition',
    mutation: true,
    build: () =>
      q(`mutation CreateSettingDefinition($input: SettingDefinitionInput!) { createSettingDefinition(input: $input) { key } }`, {
        input: { key: unique('ROLE_TEST'), valueType: 'STRING', allowedScopes: ['GLOBAL'] },
      }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'FORBIDDEN',
  },
  {
    name: 'deleteSettingDefinition',
    mutation: true,
    build: async (_f, h) => q(`mutation DeleteSettingDefinition($key: String!) { deleteSettingDefinition(key: $key) }`, { key: await h.createDefinition() }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'FORBIDDEN',
  },
  {
    name: 'setSetting(own library)',
    mutation: true,
    build: (f) =>
      q(`mutation SetSetting($input: SetSettingInput!) { setSetting(input: $input) { key } }`, {
        input: { key: 'ILS_EMAIL', scope: 'LIBRARY', libraryId: f.ownLibraryId, value: 'mvs@example.cz' },
      }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'FORBIDDEN',
  },
  {
    name: 'clearSetting(own library)',
    mutation: true,
    build: (f) =>
      q(`mutation ClearSetting($input: SettingTargetInput!) { clearSetting(input: $input) }`, {
        input: { key: 'ILS_EMAIL', scope: 'LIBRARY', libraryId: f.ownLibraryId },
      }),
    support: 'ok',
    service: 'FORBIDDEN',
    libraryAdmin: 'FORBIDDEN',
  },
];

function expected(row: Row, who: Identity): Outcome {
  switch (who) {
    case 'support':
      return row.support;
    case 'service':
    case 'credentials':
      return row.service;
    case 'libraryAdmin':
      return row.libraryAdmin;
    case 'libraryAdminAndService':
    case 'libraryAdminAndCredentials':
      // each capability on its own: allowed when one of the two roles alone allows it
      return row.libraryAdmin === 'ok' || row.service === 'ok' ? 'ok' : 'FORBIDDEN';
    case 'anonymous':
      return 'UNAUTHENTICATED';
    default:
      return 'FORBIDDEN';
  }
}

const IDENTITIES: Identity[] = [
  'support',
  'service',
  'credentials',
  'libraryAdmin',
  'libraryAdminAndService',
  'libraryAdminAndCredentials',
  'noRoles',
  'unknownRole',
  'librariesWithoutRole',
  'anonymous',
];
const CASES: Array<[string, Identity, Outcome, Row]> = MATRIX.flatMap((row) =>
  IDENTITIES.map((who): [string, Identity, Outcome, Row] => [row.name, who, expected(row, who), row]),
);

describeEachDatabase('Roles (R2)', (gw) => {
  const fixture = {} as Fixture;
  const tokens = {} as Record<Identity, string | null>;

  const helpers: Helpers = {
    createServer: async () => (await createServer(gw())).id,
    createLibrary: async () => (await createLibrary(gw())).id,
    createDepartment: async (libraryId) => (await createDepartment(gw(), libraryId)).id,
    async createDefinition() {
      const key = unique('TEMP_DEFINITION');
      await gw().ok(`mutation CreateSettingDefinition($input: SettingDefinitionInput!) { createSettingDefinition(input: $input) { key } }`, {
        input: { key, valueType: 'STRING', allowedScopes: ['GLOBAL'] },
      });
      return key;
    },
  };

  beforeAll(async () => {
    fixture.serverId = await helpers.createServer();
    fixture.ownLibraryId = await helpers.createLibrary();
    fixture.ownDepartmentId = await helpers.createDepartment(fixture.ownLibraryId);
    fixture.foreignLibraryId = await helpers.createLibrary();
    fixture.foreignDepartmentId = await helpers.createDepartment(fixture.foreignLibraryId);
    const own = await gw().ok<{ library: { code: string } }>(`query Library($id: ID!) { library(id: $id) { code } }`, { id: fixture.ownLibraryId });
    fixture.ownLibraryCode = own.library.code;
    await gw().ok(
      `mutation { createSettingDefinition(input: { key: "NOTICE_FOOTER", valueType: STRING, allowedScopes: [GLOBAL, LIBRARY, DEPARTMENT] }) { key } }`,
    );

    tokens.support = gw().tokens.support;
    tokens.service = gw().tokens.service;
    tokens.credentials = gw().tokens.credentials;
    tokens.libraryAdmin = await gw().token({ sub: 'librarian-1', roles: ['library-admin'], libraries: [Number(fixture.ownLibraryId)] });
    tokens.libraryAdminAndService = await gw().token({
      sub: 'librarian-service',
      roles: ['library-admin', 'service'],
      libraries: [Number(fixture.ownLibraryId)],
    });
    tokens.libraryAdminAndCredentials = await gw().token({
      sub: 'librarian-credentials',
      roles: ['library-admin', 'service'],
      libraries: [Number(fixture.ownLibraryId)],
      scope: 'mail:credentials',
    });
    tokens.noRoles = await gw().token({ sub: 'nobody', roles: [] });
    tokens.unknownRole = await gw().token({ sub: 'guessing', roles: ['admin', 'root', 'Support'] });
    tokens.librariesWithoutRole = await gw().token({ sub: 'half-configured', roles: [], libraries: [Number(fixture.ownLibraryId)] });
    tokens.anonymous = null;
  });

  describe('the role matrix', () => {
    test.each(CASES)('R2: %s as %s -> %s', async (_name, who, outcome, row) => {
      const operation = await row.build(fixture, helpers);
      const before = row.mutation && outcome !== 'ok' ? await tableState(gw()) : null;
      const result = await gw().gql(operation.query, operation.variables ?? {}, tokens[who]);
      if (outcome === 'ok') {
        expect(result.errors).toBeUndefined();
        expect(result.data).toBeTruthy();
        expect(Object.values(result.data!).every((v) => v !== null)).toBe(true);
      } else {
        expect(result.errors?.map((e) => e.extensions?.code)).toEqual([outcome]);
        const data = result.data as Record<string, unknown> | null | undefined;
        if (data) expect(Object.values(data).every((v) => v === null)).toBe(true);
      }
      if (before) {
        const after = await tableState(gw());
        expect(after.counts).toEqual(before.counts);
        expect(after.rows).toEqual(before.rows);
      }
    });
  });

  describe('R2: tokens', () => {
    async function post(headers: Record<string, string>): Promise<{ status: number; body: GraphQLResponse }> {
      const response = await fetch(`${gw().url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: '{ libraries { id } }' }),
      });
      const body = (await response.json()) as GraphQLResponse;
      return { status: response.status, body };
    }
    const key = () => new TextEncoder().encode(TEST_JWT_SECRET);
    const now = () => Math.floor(Date.now() / 1000);
    const claims = { sub: 'support-x', roles: ['support'] };

    const badTokens: Array<[string, () => Promise<string>]> = [
      ['a malformed token', async () => 'Bearer not-a-jwt'],
      ['a token with three garbage parts', async () => 'Bearer aaa.bbb.ccc'],
      [
        'an invalid signature (other secret)',
        async () =>
          `Bearer ${await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode('another-secret-that-is-32-bytes-long!!'))}`,
      ],
      [
        'a tampered payload',
        async () => {
          const token = await gw().token({ sub: 'svc', roles: ['service'] });
          const [header, , signature] = token.split('.');
          const payload = Buffer.from(JSON.stringify({ sub: 'svc', roles: ['support'], exp: now() + 3600 })).toString('base64url');
          return `Bearer ${header}.${payload}.${signature}`;
        },
      ],
      [
        'an expired token',
        async () =>
          `Bearer ${await new SignJWT(claims)
            .setProtectedHeader({ alg: 'HS256' })
            .setIssuedAt(now() - 7200)
            .setExpirationTime(now() - 3600)
            .sign(key())}`,
      ],
      ['an unsigned token (alg none)', async () => `Bearer ${new UnsecuredJWT(claims).setIssuedAt().setExpirationTime('1h').encode()}`],
      [
        'a token signed with another algorithm (HS512)',
        async () => `Bearer ${await new SignJWT(claims).setProtectedHeader({ alg: 'HS512' }).setIssuedAt().setExpirationTime('1h').sign(key())}`,
      ],
      ['a Basic authorization header', async () => `Basic ${Buffer.from('support:password').toString('base64')}`],
      ['an empty Bearer', async () => 'Bearer '],
    ];

    test.each(badTokens)('R2: %s is HTTP 401 UNAUTHENTICATED', async (_title, header) => {
      const { status, body } = await post({ authorization: await header() });
      expect(status).toBe(401);
      expect(body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect(body.data ?? null).toBeNull();
    });

    test('R2: no token at all is UNAUTHENTICATED', async () => {
      const { body } = await post({});
      expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      expect(body.data ?? null).toBeNull();
    });

    test('R2: a valid token with no roles is FORBIDDEN', async () => {
      const { status, body } = await post({ authorization: `Bearer ${tokens.noRoles}` });
      expect(status).toBe(200);
      expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    });
  });

  describe('R2: library-admin sees own libraries only', () => {
    test('R2: libraries lists only the libraries in the token', async () => {
      const data = await gw().ok<{ libraries: Array<{ id: string; departments: Array<{ id: string }> }> }>(
        `{ libraries { id departments { id } } }`,
        {},
        tokens.libraryAdmin,
      );
      expect(data.libraries.map((l) => l.id)).toEqual([fixture.ownLibraryId]);
      expect(data.libraries[0].departments.map((d) => d.id)).toContain(fixture.ownDepartmentId);
      expect(data.libraries[0].departments.map((d) => d.id)).not.toContain(fixture.foreignDepartmentId);
    });

    test('R2: a library-admin of two libraries sees both, support and service see all', async () => {
      const both = await gw().token({
        sub: 'librarian-2',
        roles: ['library-admin'],
        libraries: [Number(fixture.ownLibraryId), Number(fixture.foreignLibraryId)],
      });
      const ids = (await gw().ok<{ libraries: Array<{ id: string }> }>(`{ libraries { id } }`, {}, both)).libraries.map((l) => l.id);
      expect(ids.sort()).toEqual([fixture.ownLibraryId, fixture.foreignLibraryId].sort());
      for (const who of ['support', 'service'] as const) {
        const all = (await gw().ok<{ libraries: Array<{ id: string }> }>(`{ libraries { id } }`, {}, tokens[who])).libraries.map((l) => l.id);
        expect(all).toEqual(expect.arrayContaining([fixture.ownLibraryId, fixture.foreignLibraryId]));
      }
    });

    test('R2: a library-admin with no libraries in the token sees none', async () => {
      const none = await gw().token({ sub: 'librarian-0', roles: ['library-admin'] });
      expect((await gw().ok<{ libraries: unknown[] }>(`{ libraries { id } }`, {}, none)).libraries).toEqual([]);
    });

    test('R2: through the SMTP server links a library-admin reaches only its own libraries, departments and chain servers', async () => {
      for (const id of [fixture.ownLibraryId, fixture.foreignLibraryId]) {
        await gw().ok(UPDATE_LIBRARY, { id, input: { smtpServerId: fixture.serverId } });
      }
      // the foreign library's department uses the server too, and a server outside the chain points at it
      await gw().ok(UPDATE_DEPARTMENT, { id: fixture.foreignDepartmentId, input: { smtpServerId: fixture.serverId } });
      const outsider = await helpers.createServer();
      await gw().ok(`mutation UpdateSmtpServer($id: ID!, $next: ID) { updateSmtpServer(id: $id, input: { nextServerId: $next }) { id } }`, {
        id: outsider,
        next: fixture.serverId,
      });
      const links = `query Library($id: ID!) { library(id: $id) { id smtpServer { id usedByLibraries { id } usedByDepartments { id } previousServers { id } } } }`;
      const asSupport = await gw().ok<{ library: { smtpServer: Record<string, Array<{ id: string }>> } }>(links, { id: fixture.ownLibraryId });
      expect(asSupport.library.smtpServer.usedByLibraries.map((l) => l.id)).toContain(fixture.foreignLibraryId);
      expect(asSupport.library.smtpServer.usedByDepartments.map((d) => d.id)).toContain(fixture.foreignDepartmentId);
      expect(asSupport.library.smtpServer.previousServers.map((s) => s.id)).toContain(outsider);

      const asAdmin = await gw().ok<{ library: { smtpServer: Record<string, Array<{ id: string }>> } }>(
        links,
        { id: fixture.ownLibraryId },
        tokens.libraryAdmin,
      );
      expect(asAdmin.library.smtpServer.usedByLibraries.map((l) => l.id)).toEqual([fixture.ownLibraryId]);
      expect(asAdmin.library.smtpServer.usedByDepartments.map((d) => d.id)).not.toContain(fixture.foreignDepartmentId);
      expect(asAdmin.library.smtpServer.previousServers).toEqual([]);
      expect(JSON.stringify(asAdmin)).not.toContain(`"id":"${fixture.foreignLibraryId}"`);
      await gw().ok(`mutation UpdateSmtpServer($id: ID!) { updateSmtpServer(id: $id, input: { nextServerId: null }) { id } }`, { id: outsider });
      await gw().ok(UPDATE_DEPARTMENT, { id: fixture.foreignDepartmentId, input: { smtpServerId: null } });
    });

    test('R2: a library-admin edit of own shortName, contactEmail and department email is stored with the admin as updatedBy', async () => {
      const library = await gw().ok<{ updateLibrary: Record<string, any> }>(
        `mutation UpdateLibrary($id: ID!) { updateLibrary(id: $id, input: { shortName: "KNIH-OWN", contactEmail: "own@example.cz" }) { shortName contactEmail updatedBy } }`,
        { id: fixture.ownLibraryId },
        tokens.libraryAdmin,
      );
      expect(library.updateLibrary).toEqual({ shortName: 'KNIH-OWN', contactEmail: 'own@example.cz', updatedBy: 'librarian-1' });
      const department = await gw().ok<{ updateDepartment: Record<string, any> }>(
        `mutation UpdateDepartment($id: ID!) { updateDepartment(id: $id, input: { email: "branch@example.cz" }) { email updatedBy } }`,
        { id: fixture.ownDepartmentId },
        tokens.libraryAdmin,
      );
      expect(department.updateDepartment).toEqual({ email: 'branch@example.cz', updatedBy: 'librarian-1' });
    });

    test('R2/D10: a library-admin edit is still validated (BAD_USER_INPUT, nothing written)', async () => {
      const before = await tableState(gw());
      const result = await gw().gql(
        `mutation UpdateLibrary($id: ID!) { updateLibrary(id: $id, input: { contactEmail: "not an address" }) { id } }`,
        { id: fixture.ownLibraryId },
        tokens.libraryAdmin,
      );
      expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'contactEmail' });
      expect(await tableState(gw())).toEqual(before);
    });
  });
});
