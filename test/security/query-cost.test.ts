import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSchema, getIntrospectionQuery, GraphQLSchema, isObjectType, parse } from 'graphql';
import { signToken } from '../../src/auth/token-verifier';
import { createDataSource } from '../../src/database/data-source';
import { estimateCost } from '../../src/security/query-cost';
import { responseTooLarge, stringifyWithin } from '../../src/security/response-size';
import { ConfigCounts } from '../../src/snapshot/config-snapshot';
import { GatewayProcess, postGraphQL, spawnGateway } from '../operations/helpers';
import { describeEachDatabase, TEST_JWT_SECRET, TestGateway, WITH_SNAPSHOT } from '../support/gateway';
import { freePort } from '../support/private-mariadb';
import { insertNetwork, insertServer } from '../support/seed';

/**
 * Query cost: the number of field values an answer can hold, estimated before execution from the
 * configuration's real sizes, refused above GRAPHQL_MAX_COST; and the response-size ceiling.
 */
const REPRODUCTION = '{ libraries { departments { library { departments { library { departments { id } } } } } } }';
/** The admin frontend's department list (bench/run.ts, "AdminList"). */
const ADMIN_LIST =
  'query AdminList { libraries { code departments { name effectiveMailConfig { servers { name } sender { formatted } problems { code } } } } }';
const LINKED_GRAPH =
  '{ libraries { smtpServer { nextServer { name } } departments { smtpServer { name } library { code } } settings { key smtpServer { name } } } }';
const LIMIT = 1_000_000;

/** The bench's network: 2,000 libraries of 10 departments, 50 servers in chains of 5. */
const NETWORK_20K: ConfigCounts = { libraries: 2000, departments: 20_000, largestDepartmentList: 10, servers: 50, settingValues: 401, definitions: 3 };
/** The reproduction's network: one library with 302 departments. */
const ONE_BIG_LIBRARY: ConfigCounts = { libraries: 1, departments: 302, largestDepartmentList: 302, servers: 2, settingValues: 1, definitions: 3 };

const schema: GraphQLSchema = buildSchema(readFileSync(join(__dirname, '..', '..', 'schema.graphql'), 'utf8'));
const cost = (query: string, counts: ConfigCounts = NETWORK_20K, variables: Record<string, unknown> = {}) =>
  estimateCost(parse(query), schema, counts, variables).cost;

describe('query cost estimate (pure)', () => {
  it('the reproduction at 302 departments counts every level it multiplies: 302 + 302 + 302² + 302² + 302³ + 302³ values', () => {
    const d = 302;
    expect(cost(REPRODUCTION, ONE_BIG_LIBRARY)).toBe(1 + d + d + d ** 2 + d ** 2 + d ** 3 + d ** 3);
    expect(cost(REPRODUCTION, ONE_BIG_LIBRARY)).toBeGreaterThan(10 * LIMIT);
    expect(cost(REPRODUCTION, NETWORK_20K)).toBeGreaterThan(LIMIT);
  });

  it("the admin's heaviest list, every department of 20,000 with its effective configuration, is about a third of the default", () => {
    const withSnapshot = cost(ADMIN_LIST, { ...NETWORK_20K, longestChain: 5 });
    expect(withSnapshot).toBe(2000 * 2 + 20_000 * (3 + 5 * 2 + 2 + 2 * 2));
    expect(withSnapshot / LIMIT).toBeGreaterThan(0.25);
    expect(withSnapshot / LIMIT).toBeLessThan(0.45);
    // Without the snapshot a chain counts as its limit of 10 (D5): still allowed.
    expect(cost(ADMIN_LIST)).toBe(2000 * 2 + 20_000 * (3 + 10 * 2 + 2 + 2 * 2));
    expect(cost(ADMIN_LIST)).toBeLessThan(LIMIT);
    expect(cost(LINKED_GRAPH)).toBeLessThan(LIMIT / 5);
  });

  it('a relation fanning out from distinct parents counts the total, not parents × the largest list', () => {
    const skewed = { ...NETWORK_20K, largestDepartmentList: 500 };
    expect(cost('{ libraries { departments { id } } }', skewed)).toBe(2000 + 20_000 + 20_000);
  });

  it('a relation reached through a repeating parent multiplies by the largest list', () => {
    expect(cost('{ libraries { departments { library { departments { id } } } } }')).toBe(2000 + 20_000 + 20_000 + 2 * 20_000 * 10);
  });

  it("counts a list by its limit argument, from a literal, a variable, the variable's default or the schema default", () => {
    const entries = (n: number) => n + n + n * 10 + n * 10; // entries, id, changes (10 each), field
    expect(cost('{ auditLog(limit: 7) { id changes { field } } }')).toBe(entries(7));
    expect(cost('query($n: Int) { auditLog(limit: $n) { id changes { field } } }', NETWORK_20K, { n: 9 })).toBe(entries(9));
    expect(cost('query($n: Int = 3) { auditLog(limit: $n) { id changes { field } } }')).toBe(entries(3));
    expect(cost('{ auditLog { id changes { field } } }')).toBe(entries(50));
    expect(cost('query($n: Int) { auditLog(limit: $n) { id } }', NETWORK_20K, { n: 5_000_000 })).toBe(10_000_000);
  });

  it('a connection counts its edges and nodes by first; a page of 500 departments with effective configurations is allowed', () => {
    const perDepartment = 1 + 1 + 5 * 2 + 2 + 2 * 2; // name, effectiveMailConfig, servers { name }, sender { formatted }, problems { code }
    const page = (first: number) =>
      `{ departmentsConnection(first: ${first}) { totalCount pageInfo { endCursor } edges { cursor } nodes { name effectiveMailConfig { servers { name } sender { formatted } problems { code } } } } }`;
    const expected = (n: number) => 1 + 1 + 2 + n * 2 + n * (1 + perDepartment);
    expect(cost(page(500), { ...NETWORK_20K, longestChain: 5 })).toBe(expected(500));
    expect(cost(page(500))).toBeLessThan(LIMIT / 20);
    expect(cost('{ departmentsConnection { nodes { id } } }')).toBe(1 + 50 + 50);
    expect(cost('{ librariesConnection(first: 500) { nodes { departmentsConnection(first: 500) { nodes { id } } } } }')).toBe(1 + 500 + 500 + 500 * 500 * 2);
  });

  it('a page of the mail health overview counts by first, its problems and summary by the vocabulary, not the network', () => {
    const overview = (first: number) =>
      `{ mailHealthOverview(first: ${first}) { totalCount summary { code severity count } nodes { library { name } department { name } purpose worstSeverity problems { code } findings { code } } } }`;
    // Counting an item's problems as long as the largest table, a page of 50 cost 2,000,554 at 20,000 departments.
    expect(cost(overview(50))).toBeLessThan(10_000);
    expect(cost(overview(500))).toBeLessThan(LIMIT / 10);
    expect(cost(overview(500))).toBeGreaterThan(cost(overview(50)));
  });

  it('counts fragments, inline fragments and aliases; a field selected twice is answered once', () => {
    const plain = cost('{ libraries { id departments { name } } }');
    expect(cost('{ libraries { ...L } } fragment L on Library { id departments { name } }')).toBe(plain);
    expect(cost('{ libraries { ... on Library { id departments { ...D } } } } fragment D on Department { name }')).toBe(plain);
    expect(cost('{ libraries { ...L ...L id } } fragment L on Library { id departments { name } }')).toBe(plain);
    expect(cost('{ a: libraries { id departments { name } } b: libraries { id departments { name } } }')).toBe(2 * plain);
    expect(cost('{ libraries { id departments { name } x: departments { name } } }')).toBe(plain + 2 * 20_000);
    expect(cost('query($skip: Boolean!) { libraries @skip(if: $skip) { id } smtpServers { id } }', NETWORK_20K, { skip: true })).toBe(100);
  });

  it('a server chain counts as its limit (10), or the longest chain the snapshot holds', () => {
    const chain = '{ effectiveMailConfig(libraryId: 1) { servers { name } } }';
    expect(cost(chain)).toBe(1 + 10 + 10);
    expect(cost(chain, { ...NETWORK_20K, longestChain: 2 })).toBe(1 + 2 + 2);
    expect(estimateCost(parse(chain), schema, NETWORK_20K).usesCounts).toBe(false);
    expect(cost('{ smtpServers { nextServer { nextServer { name } } } }')).toBe(50 * 4);
  });

  it("introspection counts by the schema's size", () => {
    const types = Object.keys(schema.getTypeMap()).length;
    expect(cost('{ __schema { types { name } } }')).toBe(1 + 2 * types);
    const fields = Object.values(schema.getTypeMap()).reduce((sum, t) => sum + (isObjectType(t) ? Object.keys(t.getFields()).length : 0), 0);
    expect(cost('{ __schema { types { fields { name } } } }')).toBe(1 + types + 2 * fields);
    expect(cost(getIntrospectionQuery())).toBeLessThan(LIMIT / 20);
    const fanOut = '{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }';
    expect(cost(fanOut)).toBeGreaterThan(LIMIT);
  });

  it('a fragment bomb is refused without expanding it', () => {
    const levels = 24;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i + 1 < levels ? `fragment F${i} on SmtpServer { a: nextServer { ...F${i + 1} } b: nextServer { ...F${i + 1} } }` : `fragment F${i} on SmtpServer { id }`,
    );
    expect(cost(`{ smtpServers { ...F0 } } ${fragments.join(' ')}`)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('response-size ceiling (pure)', () => {
  const sample = {
    errors: undefined,
    data: {
      libraries: [
        { code: 'Č-1', departments: [{ name: 'ß "x"\n', email: null, f: undefined, n: 1.5, ok: true, at: new Date(0) }, { list: [undefined, [], {}] }] },
      ],
    },
  };

  it('writes exactly what JSON.stringify writes', () => {
    expect(stringifyWithin(sample, 1_000_000)).toBe(JSON.stringify(sample));
    expect(stringifyWithin({ deep: { a: { b: { c: { d: { e: { f: [1, { g: 'h' }] } } } } } } }, 1000)).toBe(
      JSON.stringify({ deep: { a: { b: { c: { d: { e: { f: [1, { g: 'h' }] } } } } } } }),
    );
  });

  it('gives up past the byte limit (UTF-8 bytes, not characters)', () => {
    const bytes = Buffer.byteLength(JSON.stringify(sample));
    expect(stringifyWithin(sample, bytes)).toBe(JSON.stringify(sample));
    expect(stringifyWithin(sample, bytes - 1)).toBeNull();
    const error = JSON.parse(responseTooLarge(4096));
    expect(error).toEqual({
      data: null,
      errors: [{ message: expect.stringContaining('4096 bytes'), extensions: { code: 'RESPONSE_TOO_LARGE', limit: 4096 } }],
    });
  });
});

async function seedOneBigLibrary(gw: TestGateway, departments = 302): Promise<string> {
  const server = await insertServer(gw.dataSource, { name: 'Cost relay' });
  await insertNetwork(gw.dataSource, 0, 1, [server], departments);
  await gw.services.snapshots?.reload();
  const data = await gw.ok<any>('{ libraries { id } }');
  return data.libraries[0].id;
}

function describeReproduction(label: string, overrides: typeof WITH_SNAPSHOT, statementsForCounting: number): void {
  describeEachDatabase(
    `query cost over HTTP${label}`,
    (gw) => {
      let adminToken: string;

      beforeAll(async () => {
        const libraryId = await seedOneBigLibrary(gw());
        adminToken = await gw().token({ sub: 'cost-admin', roles: ['library-admin'], libraries: [Number(libraryId)] });
      });

      it('the library-admin reproduction is refused with 400 QUERY_TOO_EXPENSIVE, its cost and the limit, before any resolver runs', async () => {
        let result: Awaited<ReturnType<TestGateway['gql']>> | undefined;
        const started = Date.now();
        const statements = await gw().countStatements(async () => (result = await gw().gql(REPRODUCTION, {}, adminToken)));
        expect(Date.now() - started).toBeLessThan(2000);
        expect(result?.status).toBe(400);
        expect(result?.data).toBeUndefined();
        expect(result?.errors).toHaveLength(1);
        expect(result?.errors?.[0].extensions).toEqual({ code: 'QUERY_TOO_EXPENSIVE', cost: 55_270_229, limit: LIMIT });
        expect(result?.errors?.[0].message).toMatch(/at most 1000000/);
        expect(statements).toBe(statementsForCounting);
      });

      it("the admin frontend's queries are answered on the same network", async () => {
        const list = await gw().ok<any>(ADMIN_LIST, {}, adminToken);
        expect(list.libraries[0].departments).toHaveLength(302);
        expect(list.libraries[0].departments[0].effectiveMailConfig.servers[0].name).toBe('Cost relay');
        const graph = await gw().ok<any>(LINKED_GRAPH);
        expect(graph.libraries[0].departments).toHaveLength(302);
      });
    },
    overrides,
    label,
  );
}

describeReproduction('', {}, 1);
describeReproduction(' with the snapshot', WITH_SNAPSHOT, 0);

describeEachDatabase(
  'GRAPHQL_MAX_COST and GRAPHQL_MAX_RESPONSE_BYTES as configured',
  (gw) => {
    beforeAll(async () => {
      await seedOneBigLibrary(gw());
    });

    it('a list limit given in a variable is counted', async () => {
      const query = 'query($n: Int) { auditLog(limit: $n) { id action } }';
      expect((await gw().gql(query, { n: 10 })).errors).toBeUndefined();
      const refused = await gw().gql(query, { n: 4000 });
      expect(refused.status).toBe(400);
      expect(refused.errors?.[0].extensions).toEqual({ code: 'QUERY_TOO_EXPENSIVE', cost: 12_000, limit: 5000 });
    });

    it('an answer over the byte ceiling becomes a RESPONSE_TOO_LARGE error, and the next request is answered', async () => {
      const query = '{ libraries { departments { id name } } }';
      expect(estimateCost(parse(query), schema, ONE_BIG_LIBRARY).cost).toBeLessThan(5000);
      const response = await fetch(`${gw().url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${gw().tokens.support}` },
        body: JSON.stringify({ query }),
      });
      const text = await response.text();
      expect(text.length).toBeLessThan(4096);
      expect(JSON.parse(text)).toEqual({ data: null, errors: [{ message: expect.any(String), extensions: { code: 'RESPONSE_TOO_LARGE', limit: 4096 } }] });
      expect(gw().logLines.some((line) => line.includes('GRAPHQL_MAX_RESPONSE_BYTES'))).toBe(true);
      expect((await gw().ok<any>('{ libraries { code } }')).libraries).toHaveLength(1);
    });
  },
  { queryCost: { maxCost: 5000, maxResponseBytes: 4096 } },
  ' small limits',
);

describe('the reproduction against a gateway process with a 160 MB heap [sqlite]', () => {
  let dir: string;
  let gateway: GatewayProcess | null = null;
  let libraryId = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcg-cost-'));
    const path = join(dir, 'gateway.sqlite');
    const dataSource = createDataSource({ type: 'sqlite', path });
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    const server = await insertServer(dataSource, { name: 'Process relay' });
    await insertNetwork(dataSource, 0, 1, [server], 302);
    libraryId = String((await dataSource.query('SELECT id FROM library'))[0].id);
    await dataSource.destroy();
    gateway = await spawnGateway('cost-160mb', await freePort(), { DATABASE_URL: `sqlite:${path}`, NODE_OPTIONS: '--max-old-space-size=160' }, 60_000);
  }, 90_000);

  afterAll(async () => {
    await gateway?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses the library-admin reproduction, stays up and answers the next request', async () => {
    const token = await signToken(TEST_JWT_SECRET, { sub: 'process-admin', roles: ['library-admin'], libraries: [Number(libraryId)] });
    const refused = await postGraphQL(gateway!.url, REPRODUCTION, {}, token);
    expect(refused.status).toBe(400);
    expect(refused.errors?.[0].extensions?.code).toBe('QUERY_TOO_EXPENSIVE');
    expect(gateway!.running).toBe(true);
    expect((await fetch(`${gateway!.url}/healthz`)).status).toBe(200);
    const list = await postGraphQL<any>(gateway!.url, ADMIN_LIST, {}, token);
    expect(list.errors).toBeUndefined();
    expect(list.data.libraries[0].departments).toHaveLength(302);
    expect(gateway!.stderr()).not.toMatch(/heap out of memory/);
  }, 30_000);
});
