import { exportJWK, generateKeyPair, KeyLike, SignJWT, UnsecuredJWT } from 'jose';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { startTestGateway, TEST_JWT_SECRET, TestGateway } from '../support/gateway';

const ISSUER = 'https://id.library.example';
const AUDIENCE = 'mail-config-gateway';

describe('tokens from an OpenID provider: AUTH_JWKS_URL with RS256 (issue 5)', () => {
  let jwks: Server;
  let gateway: TestGateway;
  let signing: KeyLike;
  let stranger: KeyLike;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    const other = await generateKeyPair('RS256');
    signing = pair.privateKey;
    stranger = other.privateKey;
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    gateway = await startTestGateway('sqlite', { auth: { jwksUrl: url, issuer: ISSUER, audience: AUDIENCE, generated: false, devSecretFile: '' } });
  });

  afterAll(async () => {
    await gateway.close();
    await new Promise((resolve) => jwks.close(resolve));
  });

  const sign = (key: KeyLike, claims: { iss?: string; aud?: string; exp?: string | number } = {}) =>
    new SignJWT({ roles: ['support'] })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setSubject('oidc-user')
      .setIssuer(claims.iss ?? ISSUER)
      .setAudience(claims.aud ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(claims.exp ?? '5m')
      .sign(key);

  const ask = (token: string) => gateway.gql('{ smtpServers { id } }', {}, token);

  it('accepts an RS256 token signed by the provider, with the right issuer and audience', async () => {
    const result = await ask(await sign(signing));
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ smtpServers: [] });
  });

  it.each([
    ['a wrong issuer', () => sign(signing, { iss: 'https://evil.example' })],
    ['a wrong audience', () => sign(signing, { aud: 'another-service' })],
    ['an expired token', () => sign(signing, { exp: Math.floor(Date.now() / 1000) - 60 })],
    ['a key the provider does not publish', () => sign(stranger)],
    [
      'an HS256 token (algorithm confusion)',
      () =>
        new SignJWT({ roles: ['support'] })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode(TEST_JWT_SECRET)),
    ],
    ['alg: none', async () => new UnsecuredJWT({ roles: ['support'] }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').encode()],
  ])('refuses %s with 401 UNAUTHENTICATED', async (_what, make) => {
    const result = await ask(await make());
    expect(result.status).toBe(401);
    expect(result.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('strict token claims: exp required, iat/nbf against the clock, typed roles and libraries (R2)', () => {
  let gateway: TestGateway;
  let libraryId: number;
  const now = () => Math.floor(Date.now() / 1000);
  const key = new TextEncoder().encode(TEST_JWT_SECRET);

  /** Signs exactly the payload given: no claim is added behind the test's back. */
  const raw = (payload: Record<string, unknown>) => new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(key);
  const admin = (libraries: unknown, extra: Record<string, unknown> = {}) =>
    raw({ sub: 'strict-admin', roles: ['library-admin'], libraries, iat: now(), exp: now() + 300, ...extra });
  const ask = (token: string) => gateway.gql<{ libraries: Array<{ id: string }> }>('{ libraries { id } }', {}, token);

  beforeAll(async () => {
    gateway = await startTestGateway('sqlite');
    const created = await gateway.ok<{ createLibrary: { id: string } }>('mutation { createLibrary(input: { code: "STRICT", name: "Strict" }) { id } }');
    libraryId = Number(created.createLibrary.id);
    expect(libraryId).toBe(1);
  });

  afterAll(async () => {
    await gateway.close();
  });

  async function expectRefused(token: string, claim: string, value?: string): Promise<void> {
    const result = await ask(token);
    expect(result.status).toBe(401);
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(result.errors?.[0].message).toContain(`claim "${claim}"`);
    if (value !== undefined) expect(result.errors?.[0].message).not.toContain(value);
  }

  it('accepts library ids as positive integers and as decimal integer strings', async () => {
    for (const libraries of [[1], ['1'], [1, '2']]) {
      const result = await ask(await admin(libraries));
      expect(result.errors).toBeUndefined();
      expect(result.data?.libraries.map((l) => l.id)).toEqual(['1']);
    }
  });

  it('refuses a token without exp (it would be valid forever)', async () => {
    await expectRefused(await raw({ sub: 'forever', roles: ['support'], iat: now() }), 'exp');
  });

  it('refuses an exp that is not a number', async () => {
    await expectRefused(await raw({ sub: 'x', roles: ['support'], exp: `${now() + 300}` }), 'exp');
  });

  it('refuses an iat in the future beyond the clock skew, accepts one within it', async () => {
    await expectRefused(await raw({ sub: 'x', roles: ['support'], iat: now() + 3600, exp: now() + 7200 }), 'iat');
    const within = await ask(await raw({ sub: 'x', roles: ['support'], iat: now() + 20, exp: now() + 300 }));
    expect(within.errors).toBeUndefined();
  });

  it('refuses an nbf in the future beyond the clock skew, accepts one within it', async () => {
    await expectRefused(await raw({ sub: 'x', roles: ['support'], nbf: now() + 3600, exp: now() + 7200 }), 'nbf');
    const within = await ask(await raw({ sub: 'x', roles: ['support'], nbf: now() + 20, exp: now() + 300 }));
    expect(within.errors).toBeUndefined();
  });

  it.each([
    ['[true]', [true]],
    ['["0x1"]', ['0x1']],
    ['["1e0"]', ['1e0']],
    ['[[1]]', [[1]]],
    ['[" 1 "]', [' 1 ']],
    ['["01"]', ['01']],
    ['[0]', [0]],
    ['[-1]', [-1]],
    ['[1.5]', [1.5]],
    ['[null]', [null]],
    ['[{}]', [{}]],
    ['[1e10] (beyond any id)', [1e10]],
    ['[1, true] (one bad entry among good ones)', [1, true]],
    ['"1" (not an array)', '1'],
    ['1 (not an array)', 1],
  ])('refuses libraries: %s instead of granting library 1', async (_label, libraries) => {
    await expectRefused(await admin(libraries), 'libraries', JSON.stringify(libraries));
  });

  it.each([
    ['"support" (not an array)', 'support'],
    ['[1]', [1]],
    ['[["support"]]', [['support']]],
    ['{}', {}],
    ['null', null],
  ])('refuses roles: %s', async (_label, roles) => {
    await expectRefused(await raw({ sub: 'x', roles, exp: now() + 300 }), 'roles');
  });

  it('refuses a scope or sub that is not a string', async () => {
    await expectRefused(await raw({ sub: 'x', roles: ['service'], scope: ['mail:credentials'], exp: now() + 300 }), 'scope');
    await expectRefused(await raw({ sub: 42, roles: ['service'], exp: now() + 300 }), 'sub');
  });

  it('ignores role names it does not know (a provider may issue roles for other applications)', async () => {
    const result = await ask(await raw({ sub: 'x', roles: ['support', 'catalogue-editor'], exp: now() + 300 }));
    expect(result.errors).toBeUndefined();
  });
});
