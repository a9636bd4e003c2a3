import { getIntrospectionQuery } from 'graphql';
import { RawConnection } from '../support/raw-http';
import { startTestGateway, TestGateway } from '../support/gateway';

/**
 * Identity before work: a GraphQL request without a valid token costs a header check, not a parse.
 * HTTP behaviour only, so one database is enough.
 */
let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway('sqlite');
});

afterAll(async () => {
  await gateway?.close();
});

/** The reproduction: a 1 MB document of 333k fields. */
const MEGABYTE_DOCUMENT = JSON.stringify({ query: `{ ${'aa '.repeat(333_000)}}` });

async function post(body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(`${gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

describe('identity before work', () => {
  it('an anonymous POST whose body is not even JSON is 401, not 400: the body is never read', async () => {
    const result = await post('{ this is not json');
    expect(result.status).toBe(401);
    expect(result.body.errors.map((e: any) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
    expect(result.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('the anonymous 1 MB document is 401 without being parsed (no GraphQL error, no operation recorded)', async () => {
    expect(Buffer.byteLength(MEGABYTE_DOCUMENT)).toBeGreaterThan(999_000);
    const before = gateway.logLines.length;
    const result = await post(MEGABYTE_DOCUMENT);
    expect(result.status).toBe(401);
    expect(result.body).toEqual({ errors: [{ message: 'A valid bearer token is required', extensions: { code: 'UNAUTHENTICATED' } }] });
    // A parsed document would have reached Apollo's error formatting or the limits plugin.
    expect(gateway.logLines.slice(before).join('\n')).not.toMatch(/GRAPHQL_|unexpected error/);
  });

  it('an anonymous GET query is 401 too; an invalid token is 401 whatever the body', async () => {
    const get = await fetch(`${gateway.url}/graphql?query=${encodeURIComponent('{ smtpServers { id } }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(401);
    expect((await post('not json', { authorization: 'Bearer not-a-token' })).status).toBe(401);
  });

  it('the anonymous 1 MB document is not even received: 401 with Connection: close', async () => {
    const connection = await RawConnection.open(Number(new URL(gateway.url).port));
    try {
      connection.write(
        `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(MEGABYTE_DOCUMENT)}\r\n\r\n${MEGABYTE_DOCUMENT}`,
      );
      const refused = await connection.response();
      expect(refused?.status).toBe(401);
      expect(refused?.head).toMatch(/\r\nconnection: close/i);
      expect(await connection.closedWithin(2000)).toBe(true);
    } finally {
      connection.destroy();
    }
  });

  it('after an anonymous 401 on a small body the kept-alive connection serves its next request (the body was drained, not parsed)', async () => {
    const connection = await RawConnection.open(Number(new URL(gateway.url).port));
    try {
      const small = JSON.stringify({ query: `{ ${'aa '.repeat(10_000)}}` });
      connection.write(`POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${small.length}\r\n\r\n${small}`);
      const refused = await connection.response();
      expect(refused?.status).toBe(401);
      expect(refused?.head).not.toMatch(/\r\nconnection: close/i);
      const query = '{"query":"{ smtpServers { name } }"}';
      connection.write(
        `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer ${gateway.tokens.support}\r\nContent-Length: ${query.length}\r\n\r\n${query}`,
      );
      const next = await connection.response();
      expect(next?.status).toBe(200);
      expect(Array.isArray(JSON.parse(next!.body).data.smtpServers)).toBe(true);
    } finally {
      connection.destroy();
    }
  });

  it('non-GraphQL requests are not affected: /healthz, and an OPTIONS preflight on /graphql is not a 401', async () => {
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    const preflight = await fetch(`${gateway.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).not.toBe(401);
  });
});

describe('GRAPHQL_MAX_TOKENS (default 20,000)', () => {
  it('refuses a document with more tokens than the limit, saying how many are allowed', async () => {
    const result = await gateway.gql(`{ ${'__typename '.repeat(20_001)}}`);
    expect(result.status).toBe(400);
    expect(result.errors?.[0].extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(result.errors?.[0].message).toMatch(/Document contains more tha[nt] 20000 tokens/);
  });

  it('the full introspection query (under 200 tokens) and a query with the most fields allowed are far from it', async () => {
    const introspection = await gateway.gql(
      getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, inputValueDeprecation: true }),
    );
    // Answered whole: the parser read it, and introspection is exempt from the depth limit.
    expect(introspection.errors).toBeUndefined();
    const wide = await gateway.gql(`{ smtpServers { ${'id name host port '.repeat(120)}} }`);
    expect(wide.errors).toBeUndefined();
  });
});
