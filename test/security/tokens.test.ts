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
    gateway = await startTestGateway('sqlite', { auth: { jwksUrl: url, issuer: ISSUER, audience: AUDIENCE, generated: false } });
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
    ['an HS256 token (algorithm confusion)', () => new SignJWT({ roles: ['support'] }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').sign(new TextEncoder().encode(TEST_JWT_SECRET))],
    ['alg: none', async () => new UnsecuredJWT({ roles: ['support'] }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').encode()],
  ])('refuses %s with 401 UNAUTHENTICATED', async (_what, make) => {
    const result = await ask(await make());
    expect(result.status).toBe(401);
    expect(result.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});
