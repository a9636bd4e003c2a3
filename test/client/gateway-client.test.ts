import { GatewayError, tokenExpiry } from 'mail-config-gateway-client';
import { signToken } from '../../src/auth/token-verifier';
import { createDepartment } from '../support/fixtures';
import { describeEachDatabase, TEST_JWT_SECRET } from '../support/gateway';
import { clientFor, foreignToken, libraryWithChain } from './client-fixtures';

/**
 * effectiveMailConfig through the client: a typed answer, GraphQL errors as GatewayError with
 * their code and path, and the token provider asked again after a 401 and near a token's expiry.
 */

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

/** Answers of the gateway to the client, by HTTP status, read from its request log. */
function statuses(logLines: string[], from: number): number[] {
  return logLines
    .slice(from)
    .map((line) => JSON.parse(line) as { msg: string; path?: string; status?: number })
    .filter((entry) => entry.msg === 'request' && entry.path === '/graphql')
    .map((entry) => entry.status!);
}

describeEachDatabase('client effectiveMailConfig (D4-D8 over the client)', (gw) => {
  it('D4/D6: returns the typed chain, sender, problems and revision of a library and department', async () => {
    const { servers, library } = await libraryWithChain(gw(), [{ port: 2525 }, { port: 2526 }]);
    const department = await createDepartment(gw(), library.id, { email: 'desk@library.example' });
    const { client } = clientFor(gw(), gw().tokens.service);

    const config = await client.effectiveMailConfig({ libraryId: library.id, departmentId: department.id });

    expect(config.purpose).toBe('GENERAL');
    expect(config.revision).toEqual(expect.any(Number));
    expect(config.stale).toBe(false);
    expect(config.library).toEqual({ id: library.id, code: library.code, name: library.name });
    expect(config.department).toEqual({ id: department.id, name: department.name });
    expect(config.servers.map((server) => server.id)).toEqual(servers.map((server) => server.id));
    expect(config.sender).toEqual({ address: 'desk@library.example', name: library.shortName, formatted: `"${library.shortName}" <desk@library.example>` });
    expect(config.trace.find((step) => step.target === 'SENDER_ADDRESS' && step.outcome === 'USED')).toMatchObject({
      source: 'DEPARTMENT',
      field: 'Department.email',
    });
  });

  it('an unknown library: GatewayError NOT_FOUND with the path of the field', async () => {
    const { client } = clientFor(gw(), gw().tokens.service);

    const error = await rejection(client.effectiveMailConfig({ libraryId: 999999 }));

    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'NOT_FOUND', path: ['effectiveMailConfig'] });
    expect((error as GatewayError).errors).toHaveLength(1);
  });

  it('R2: a library-admin asking for another library: GatewayError FORBIDDEN, not a TypeError', async () => {
    const { library } = await libraryWithChain(gw(), [{ port: 2525 }]);
    const admin = await gw().token({ sub: 'admin-elsewhere', roles: ['library-admin'], libraries: [999998] });
    const { client } = clientFor(gw(), admin);

    const error = await rejection(client.effectiveMailConfig({ libraryId: library.id }));

    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('FORBIDDEN');
  });

  it('a 401 makes the client call getToken() once more and send the request again', async () => {
    const { library } = await libraryWithChain(gw(), [{ port: 2525 }]);
    const { client, tokenCalls } = clientFor(gw(), [await foreignToken(), gw().tokens.service]);
    const logFrom = gw().logLines.length;

    const config = await client.effectiveMailConfig({ libraryId: library.id });

    expect(config.library.id).toBe(library.id);
    expect(tokenCalls()).toBe(2);
    expect(statuses(gw().logLines, logFrom)).toEqual([401, 200]);
  });

  it('a token refused twice: GatewayError UNAUTHENTICATED with status 401, after exactly one retry', async () => {
    const { client, tokenCalls } = clientFor(gw(), foreignToken);
    const logFrom = gw().logLines.length;

    const error = await rejection(client.effectiveMailConfig({ libraryId: 1 }));

    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    expect(tokenCalls()).toBe(2);
    expect(statuses(gw().logLines, logFrom)).toEqual([401, 401]);
  });

  it('a token near its exp is replaced before it is sent; a fresh one is kept', async () => {
    const { library } = await libraryWithChain(gw(), [{ port: 2525 }]);
    const shortLived = await signToken(TEST_JWT_SECRET, { sub: 'service-short', roles: ['service'] }, {}, '30s');
    const { client, tokenCalls } = clientFor(gw(), [shortLived, gw().tokens.service]);
    const logFrom = gw().logLines.length;

    await client.effectiveMailConfig({ libraryId: library.id });
    expect(tokenCalls()).toBe(1);
    // 30 s left is within the default 60 s margin: the next request asks for a new token first.
    await client.effectiveMailConfig({ libraryId: library.id });
    expect(tokenCalls()).toBe(2);
    await client.effectiveMailConfig({ libraryId: library.id });
    expect(tokenCalls()).toBe(2);
    expect(statuses(gw().logLines, logFrom)).toEqual([200, 200, 200]);
  });
});

describe('tokenExpiry', () => {
  it('reads exp of a JWT payload without verifying it, null when there is none', async () => {
    const token = await signToken(TEST_JWT_SECRET, { sub: 'x', roles: ['service'] }, {}, '1h');
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { exp: number };
    expect(tokenExpiry(token)).toBe(payload.exp * 1000);
    expect(tokenExpiry('not-a-jwt')).toBeNull();
    expect(tokenExpiry(`x.${Buffer.from('{"sub":"x"}').toString('base64url')}.y`)).toBeNull();
    expect(tokenExpiry('x.%%%.y')).toBeNull();
  });
});
