import { getIntrospectionQuery, IntrospectionOptions, Kind, parse } from 'graphql';
import { isIntrospectionOnly } from '../../src/security/query-limits';
import { describeEachDatabase, startTestGateway, TestGateway } from '../support/gateway';

/**
 * Introspection has a fixed, known shape deeper than any real query (the standard query nests
 * `ofType` to 15 levels), so an operation made only of introspection fields is exempt from the
 * depth and alias limits; it stays subject to the field count and to the cost limit, and a
 * normal field beside it is measured as always.
 */
const ALL_OPTIONS: IntrospectionOptions = {
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
};

function nestedServers(depth: number): string {
  let selection = 'name';
  for (let i = 1; i < depth; i++) selection = `nextServer { ${selection} }`;
  return `smtpServers { ${selection} }`;
}

function operationOf(query: string) {
  const document = parse(query);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation || operation.kind !== Kind.OPERATION_DEFINITION) throw new Error('no operation');
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  return isIntrospectionOnly(operation, fragments);
}

describe('which operations count as introspection only', () => {
  it.each([
    ['the standard introspection query', getIntrospectionQuery()],
    ['the standard query with every option', getIntrospectionQuery(ALL_OPTIONS)],
    ['__type and __typename', '{ __type(name: "Query") { name } __typename }'],
    ['introspection behind a fragment', '{ ...F } fragment F on Query { __schema { queryType { name } } }'],
  ])('%s is', (_name, query) => {
    expect(operationOf(query)).toBe(true);
  });

  it.each([
    ['a normal field beside __schema', `{ __schema { queryType { name } } ${nestedServers(2)} }`],
    ['a normal field in an inline fragment', '{ __typename ... on Query { libraries { id } } }'],
    ['a normal field behind a fragment', '{ __typename ...F } fragment F on Query { libraries { id } }'],
  ])('%s is not', (_name, query) => {
    expect(operationOf(query)).toBe(false);
  });
});

describeEachDatabase('introspection and the query limits', (gw) => {
  it.each([
    ['default options', {}],
    ['every option', ALL_OPTIONS],
  ])('the standard introspection query (%s) answers over HTTP with a token', async (_name, options) => {
    const result = await gw().gql(getIntrospectionQuery(options));
    expect(result.errors).toBeUndefined();
    expect(result.status).toBe(200);
    expect(result.data?.__schema.queryType.name).toBe('Query');
    expect(result.data?.__schema.types.map((t: { name: string }) => t.name)).toContain('EffectiveMailConfig');
  });

  it('still refuses a deep query of normal fields, also beside introspection', async () => {
    for (const query of [`{ ${nestedServers(13)} }`, `{ __schema { queryType { name } } ${nestedServers(13)} }`]) {
      const result = await gw().gql(query);
      expect(result.status).toBe(400);
      expect(result.errors?.[0].message).toMatch(/levels deep/);
    }
  });

  it('still refuses too many aliases of a normal field beside introspection', async () => {
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: smtpServers { id }`).join(' ');
    const result = await gw().gql(`{ __typename ${aliases} }`);
    expect(result.errors?.[0].message).toMatch(/aliases/);
  });
});

describe('introspection stays under the cost limit', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway('sqlite', { queryCost: { maxCost: 50, maxResponseBytes: 64 * 1024 * 1024 } });
  });
  afterAll(() => gateway.close());

  it('refuses the standard introspection query when it could return more values than allowed', async () => {
    const result = await gateway.gql(getIntrospectionQuery());
    expect(result.status).toBe(400);
    expect(result.errors?.[0].extensions?.code).toBe('QUERY_TOO_EXPENSIVE');
  });
});

describe('introspection turned off', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway('sqlite', {
      graphql: { introspection: false, maxDepth: 12, maxAliases: 30, maxFields: 500, maxBodyBytes: 1024 * 1024, maxTokens: 20_000 },
    });
  });
  afterAll(() => gateway.close());

  it('refuses the standard introspection query as before', async () => {
    const result = await gateway.gql(getIntrospectionQuery());
    expect(result.status).toBe(400);
    expect(result.data).toBeUndefined();
    expect(result.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
