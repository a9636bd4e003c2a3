import { describeEachDatabase, TestGateway, WITH_SNAPSHOT } from '../support/gateway';

const LISTED = 'https://admin.example.org';
const LOCAL_DEV = 'http://127.0.0.1:5173';
const NOT_LISTED = 'https://evil.example.net';
const QUERY = 'query CorsLibraries { libraries { id name } }';

function post(gw: TestGateway, origin: string | null, options: { token?: string | null; body?: string; contentType?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/json' };
  if (origin) headers.origin = origin;
  const token = options.token === undefined ? gw.tokens.support : options.token;
  if (token) headers.authorization = `Bearer ${token}`;
  return fetch(`${gw.url}/graphql`, { method: 'POST', headers, body: options.body ?? JSON.stringify({ query: QUERY }) });
}

function preflight(gw: TestGateway, origin: string, path = '/graphql'): Promise<Response> {
  return fetch(`${gw.url}${path}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
  });
}

async function cacheHits(gw: TestGateway): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  return Number(/^mail_gateway_response_cache_hits_total (\d+)$/m.exec(text)?.[1]);
}

function expectAllowed(response: Response, origin: string): void {
  expect(response.headers.get('access-control-allow-origin')).toBe(origin);
  expect(response.headers.get('access-control-expose-headers')).toBe('ETag, x-request-id');
  expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
}

function expectNoCors(response: Response): void {
  const cors = [...response.headers.keys()].filter((name) => name.startsWith('access-control-'));
  expect(cors).toEqual([]);
}

describeEachDatabase(
  'CORS for browser applications (CORS_ORIGINS)',
  (gw) => {
    it('answers a preflight from a listed origin with 204 and the methods, headers and max-age, without a token', async () => {
      const response = await preflight(gw(), LISTED);
      expect(response.status).toBe(204);
      expectAllowed(response, LISTED);
      expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS');
      expect(response.headers.get('access-control-allow-headers')).toBe('authorization, content-type, apollo-require-preflight, if-none-match, x-request-id');
      expect(Number(response.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    });

    it('matches any port of a host listed as host:*', async () => {
      for (const origin of [LOCAL_DEV, 'http://127.0.0.1:3000']) expectAllowed(await preflight(gw(), origin), origin);
      // Another scheme or host is another origin.
      expectNoCors(await preflight(gw(), 'https://127.0.0.1:5173'));
      expectNoCors(await preflight(gw(), 'http://localhost:5173'));
    });

    it('gives a preflight from an origin not listed no CORS headers at all, so the browser refuses', async () => {
      for (const origin of [NOT_LISTED, 'null', `${LISTED}.evil.example.net`, `${LISTED}/path`]) {
        const response = await preflight(gw(), origin);
        expect(response.status).toBe(204);
        expectNoCors(response);
      }
    });

    it('puts the allowed origin on answers to GraphQL requests, and none for other origins', async () => {
      const allowed = await post(gw(), LISTED);
      expect(allowed.status).toBe(200);
      expectAllowed(allowed, LISTED);
      const refused = await post(gw(), NOT_LISTED);
      expect(refused.status).toBe(200);
      expectNoCors(refused);
      expect(refused.headers.get('vary')).toMatch(/\bOrigin\b/);
    });

    it('puts it on refusals too: 401 without a token, 400 for a bad document, 404, /healthz', async () => {
      const anonymous = await post(gw(), LISTED, { token: null });
      expect(anonymous.status).toBe(401);
      expectAllowed(anonymous, LISTED);
      const invalid = await post(gw(), LISTED, { body: JSON.stringify({ query: '{ noSuchField }' }) });
      expect(invalid.status).toBe(400);
      expectAllowed(invalid, LISTED);
      expectAllowed(await fetch(`${gw().url}/nowhere`, { headers: { origin: LISTED } }), LISTED);
      expectAllowed(await fetch(`${gw().url}/healthz`, { headers: { origin: LISTED } }), LISTED);
    });

    it('computes the headers per request for cached answers: never the origin of the request that filled the cache', async () => {
      const query = JSON.stringify({ query: 'query CorsCached { libraries { id code } }' });
      expectAllowed(await post(gw(), LISTED, { body: query }), LISTED);
      const before = await cacheHits(gw());
      const fromLocal = await post(gw(), LOCAL_DEV, { body: query });
      const fromElsewhere = await post(gw(), NOT_LISTED, { body: query });
      expect(await cacheHits(gw())).toBe(before + 2);
      expectAllowed(fromLocal, LOCAL_DEV);
      expectNoCors(fromElsewhere);
    });

    it('keeps CSRF prevention on for a listed origin: a simple POST or a GET without a preflight header is refused', async () => {
      const simple = await post(gw(), LISTED, { contentType: 'text/plain' });
      expect(simple.status).toBe(400);
      expect(await simple.text()).toMatch(/CSRF/);
      const get = await fetch(`${gw().url}/graphql?query=${encodeURIComponent(QUERY)}`, {
        headers: { origin: LISTED, authorization: `Bearer ${gw().tokens.support}` },
      });
      expect(get.status).toBe(400);
      expect(await get.text()).toMatch(/CSRF/);
    });
  },
  { ...WITH_SNAPSHOT, cors: { origins: [LISTED, 'http://127.0.0.1:*'] } },
);
