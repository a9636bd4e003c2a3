import { Kind, parse } from 'graphql';
import { measureOperation } from '../../src/security/query-limits';
import { describeEachDatabase, startTestGateway, TestGateway } from '../support/gateway';

/** The admin frontend's and the services' real queries (README, batching tests). */
const REAL_QUERIES = {
  departmentList: '{ libraries { code departments { name effectiveMailConfig { servers { name } sender { formatted } problems { code } } } } }',
  linkedGraph: '{ libraries { smtpServer { nextServer { name } } departments { smtpServer { name } library { code } } settings { key smtpServer { name } } } }',
  fullTrace: `query($l: ID!, $d: ID) { effectiveMailConfig(libraryId: $l, departmentId: $d, purpose: INTERLIBRARY_LOAN) {
    purpose library { code name } department { name } servers { id name host port allowTls allowSsl requiresAuth hasPassword nextServer { name } }
    sender { address name formatted } trace { target source field outcome value note } problems { code severity message server { name } } stale
    deliverability { domain spfRecord spfLookups servers { server { name } addresses result explanation } dmarcRecord dmarcPolicy suggestedSpfRecord findings { severity code message } checkedAt }
  } }`,
  servicesTransport:
    '{ effectiveMailConfig(libraryId: 1) { sender { formatted address } servers { transport { host port secure requireTLS ignoreTLS connectionTimeout greetingTimeout socketTimeout auth { user pass } tlsCaPem } } } }',
};

const DEFAULTS = { maxDepth: 12, maxAliases: 30, maxFields: 500 };

describe('query limits (issue 5)', () => {
  it.each(Object.entries(REAL_QUERIES))('the real query "%s" fits the default limits', (_name, query) => {
    const document = parse(query);
    const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
    if (!operation || operation.kind !== Kind.OPERATION_DEFINITION) throw new Error('no operation');
    const shape = measureOperation(operation, new Map());
    expect(shape.depth).toBeLessThanOrEqual(DEFAULTS.maxDepth / 2);
    expect(shape.aliases).toBeLessThanOrEqual(DEFAULTS.maxAliases);
    expect(shape.fields).toBeLessThanOrEqual(DEFAULTS.maxFields / 5);
  });
});

function nested(depth: number): string {
  let selection = 'name';
  for (let i = 1; i < depth; i++) selection = `nextServer { ${selection} }`;
  return `{ smtpServers { ${selection} } }`;
}

describeEachDatabase('an API that resists abuse (issue 5)', (gw) => {
  it('refuses queries deeper than the limit, and answers one at the limit', async () => {
    expect((await gw().gql(nested(11))).errors).toBeUndefined();
    const deep = await gw().gql(nested(13));
    expect(deep.status).toBe(400);
    expect(deep.errors?.[0].message).toMatch(/levels deep/);
  });

  it('refuses too many aliases', async () => {
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: smtpServers { id }`).join(' ');
    const result = await gw().gql(`{ ${aliases} }`);
    expect(result.errors?.[0].message).toMatch(/aliases/);
  });

  it('refuses too many fields, also when hidden in fragments', async () => {
    const fields = Array.from({ length: 60 }, () => 'id name host port').join(' ');
    const result = await gw().gql(
      `{ smtpServers { ...F ...F2 } } fragment F on SmtpServer { ${fields} nextServer { ...F2 } } fragment F2 on SmtpServer { ${fields} }`,
    );
    expect(result.errors?.[0].message).toMatch(/fields/);
  });

  it('refuses a body over 1 MiB with 413 and batched requests', async () => {
    const big = await fetch(`${gw().url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gw().tokens.support}` },
      body: JSON.stringify({ query: `{ smtpServers { id } }`, variables: { pad: 'x'.repeat(1024 * 1024) } }),
    });
    expect(big.status).toBe(413);
    const batch = await fetch(`${gw().url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gw().tokens.support}` },
      body: JSON.stringify([{ query: '{ smtpServers { id } }' }, { query: '{ libraries { id } }' }]),
    });
    expect(batch.status).toBe(400);
  });

  it('refuses simple cross-site requests (CSRF prevention)', async () => {
    const response = await fetch(`${gw().url}/graphql?query=${encodeURIComponent('{ smtpServers { id } }')}`, {
      headers: { authorization: `Bearer ${gw().tokens.support}` },
    });
    expect(response.status).toBe(400);
  });
});

describe('production mode', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway('sqlite', {
      production: true,
      graphql: { introspection: false, maxDepth: 12, maxAliases: 30, maxFields: 500, maxBodyBytes: 1024 * 1024, maxTokens: 20_000 },
    });
  });
  afterAll(() => gateway.close());

  it('refuses introspection and does not suggest field names', async () => {
    const introspection = await gateway.gql('{ __schema { types { name } } }');
    expect(introspection.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const typo = await gateway.gql('{ smtpServerz { id } }');
    expect(typo.errors?.[0].message).not.toMatch(/Did you mean/);
  });
});
