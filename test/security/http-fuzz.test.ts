import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayProcess, postGraphQL, spawnGateway, supportToken } from '../operations/helpers';
import { freePort } from '../support/private-mariadb';
import { rawExchange, RawAnswer } from '../support/raw-http';

/**
 * Nothing a client sends takes the gateway down or makes it stall. The gateway runs as a real
 * process (src/main.ts), so a crash shows as an exit, not as a failed promise inside Jest.
 */
const SEED = 0x5eed10;
const CASES = 1200;
const CONCURRENCY = 24;

let dir: string;
let gateway: GatewayProcess;
let token: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mcg-fuzz-'));
  token = await supportToken('fuzz');
  gateway = await spawnGateway('fuzz', await freePort(), { DATABASE_URL: `sqlite:${join(dir, 'gateway.sqlite')}`, CONFIG_REFRESH_MS: '0' });
}, 60_000);

afterAll(async () => {
  await gateway?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** mulberry32: small, seeded, the same sequence on every run. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function expectAliveAndAnswering(): Promise<void> {
  expect(gateway.running).toBe(true);
  const health = await fetch(`${gateway.url}/healthz`);
  expect(health.status).toBe(200);
  const result = await postGraphQL(gateway.url, '{ smtpServers { name } }', {}, token);
  expect(result.status).toBe(200);
  expect(result.errors).toBeUndefined();
}

function get(target: string): string {
  return `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;
}

describe('the HTTP edge answers every request and never crashes (issue: a single request could end the process)', () => {
  it('the three request targets that made new URL() throw outside the handler are answered with 400, and the process lives', async () => {
    for (const target of ['//x:99999/', '//%', '//%%%/../../graphql?%%']) {
      const answer = await rawExchange(gateway.port, get(target));
      expect({ target, status: answer.status }).toEqual({ target, status: 400 });
      expect(answer.text).toContain('"code":"BAD_REQUEST"');
      await expectAliveAndAnswering();
    }
  });

  it('broken percent-encoding in a path or query is 400; absolute-form targets are read as paths', async () => {
    expect((await rawExchange(gateway.port, get('/graphql?%%'))).status).toBe(400);
    expect((await rawExchange(gateway.port, get('/healthz?x=%zz'))).status).toBe(400);
    expect((await rawExchange(gateway.port, get('/he%'))).status).toBe(400);
    expect((await rawExchange(gateway.port, get('http://127.0.0.1/healthz'))).status).toBe(200);
    expect((await rawExchange(gateway.port, get('http://[::1/healthz'))).status).toBe(400);
    expect((await rawExchange(gateway.port, get('/healthz?x=%41'))).status).toBe(200);
    await expectAliveAndAnswering();
  });

  it(`${CASES} generated raw requests (seed ${SEED}): no crash, no 5xx, no error log line, and a normal query still works`, async () => {
    const random = prng(SEED);
    const requests = Array.from({ length: CASES }, () => generateRequest(random, token));
    const answers: RawAnswer[] = new Array(requests.length);
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const index = next++;
        const { payload, half } = requests[index];
        answers[index] = await rawExchange(gateway.port, payload, { timeoutMs: 400, half });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    const statuses = new Map<string, number>();
    for (const answer of answers) statuses.set(String(answer.status), (statuses.get(String(answer.status)) ?? 0) + 1);
    console.log(
      `fuzz: ${CASES} requests, answers by status: ${[...statuses]
        .sort()
        .map(([s, n]) => `${s}: ${n}`)
        .join(', ')}`,
    );
    const serverErrors = answers
      .map((a, i) => ({ status: a.status, request: requests[i].payload.toString('latin1').slice(0, 300) }))
      .filter((a) => a.status !== null && a.status >= 500 && a.status !== 503);
    expect(serverErrors).toEqual([]);
    // Most requests are answered at all (the rest declared a body they never sent, or broke the framing).
    expect(answers.filter((a) => a.status !== null).length).toBeGreaterThan(CASES * 0.6);

    await expectAliveAndAnswering();
    const errorLines = gateway
      .stdout()
      .split('\n')
      .filter((line) => /"level":(50|60)/.test(line));
    expect(errorLines).toEqual([]);
    expect(gateway.stderr()).not.toMatch(/unhandled|uncaught/i);
    expect(gateway.stdout() + gateway.stderr()).not.toContain(token);
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------
// The generator: request lines, methods, headers and bodies, valid and broken, in every mix.

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];

/** Each part of a request is well-formed most of the time, so that most requests get deep into the handler. */
const either = <T>(random: Random, good: readonly T[], hostile: readonly T[], hostileShare = 0.15): T =>
  random() < hostileShare ? pick(random, hostile) : pick(random, good);

const METHODS = ['GET', 'POST', 'POST', 'POST'];
const HOSTILE_METHODS = ['PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE', 'CONNECT', 'PRI', 'get', 'G\tET', 'BREW', ''];
const PATHS = [
  '/graphql',
  '/graphql',
  '/graphql',
  '/graphql',
  '/healthz',
  '/readyz',
  '/metrics',
  '/dev/mailbox',
  '/',
  '/nope',
  '/graphql?query={smtpServers{name}}',
  '/graphql?query=%7BsmtpServers%7Bname%7D%7D',
  '/graphql/../graphql',
  '/graphql;a=b',
  'http://127.0.0.1/graphql',
];
const HOSTILE_PATHS = [
  '*',
  '//x:99999/',
  '//%',
  '//%%%/../../graphql?%%',
  '/%',
  '/%zz',
  '/graphql?%%',
  '/graphql?query=%7B',
  '/graphql?query=%7BsmtpServers%7Bname%7D%7D&variables=%7B',
  '/graphql?query=' + 'a'.repeat(9000),
  'http://[::1/graphql',
  'https://other.example/graphql?x=1',
  '/graphql#fragment',
  '/\u00e9\u00e8',
  '/graphql?x=\u00ff',
  '/' + 'x/'.repeat(3000),
  '/graphql?operationName=&extensions=%7B%22persistedQuery%22%3A1%7D',
];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0'];
const HOSTILE_VERSIONS = ['HTTP/2.0', 'HTTP/1.1x', 'HTTP/9', ''];
const CONTENT_TYPES = ['application/json', 'application/json', 'application/json; charset=utf-8', null];
const HOSTILE_CONTENT_TYPES = [
  'application/graphql',
  'text/plain',
  'multipart/form-data; boundary=x',
  ';;;',
  'application/json; charset=latin1',
  '\u00ff/\u00fe',
];
const BODIES: Array<() => Buffer> = [
  () => Buffer.alloc(0),
  () => Buffer.from('{"query":"{ smtpServers { name } }"}'),
  () => Buffer.from('{"query":"{ libraries { code departments { name } } }","variables":{}}'),
  () => Buffer.from('{"query":"{ smtpServers { name } }"'),
  () => Buffer.from('[{"query":"{ smtpServers { id } }"},{"query":"{ libraries { id } }"}]'),
  () => Buffer.from('{"query":{"nested":true},"variables":"x"}'),
  () => Buffer.from('null'),
  () => Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22, 0xc3, 0x28]),
  () => Buffer.from(`{"query":"{ ${'smtpServers { name } '.repeat(2000)}}"}`),
  () => Buffer.from(`{"query":"{ ${'__typename '.repeat(30000)}}"}`),
  () => Buffer.from('{"query":"query($a: Int!) { smtpServer(id: $a) { name } }","variables":{"a":"\\u0000"}}'),
  () => Buffer.from('query=%7B'),
];

function goodHeader(random: Random, token: string): string {
  const options = [
    () => `Authorization: Bearer ${token}`,
    () => `Authorization: Bearer ${token}`,
    () => `Authorization: Bearer ${token}`,
    () => 'Authorization: Bearer not-a-token',
    () => 'Authorization: Basic dXNlcjpwYXNz',
    () => 'Connection: keep-alive',
    () => `X-Request-Id: ${'x'.repeat(Math.floor(random() * 100))}`,
    () => 'Accept: application/graphql-response+json',
    () => 'Apollo-Require-Preflight: true',
    () => 'X-Latin: \u00e9t\u00e9',
  ];
  return pick(random, options)();
}

function hostileHeader(random: Random, token: string): string {
  const options = [
    () => 'Authorization: Bearer not-a-token',
    () => 'Authorization: Basic dXNlcjpwYXNz',
    () => 'Authorization: Bearer',
    () => `Authorization: Bearer ${token}\r\nAuthorization: Bearer other`,
    () => 'Transfer-Encoding: chunked',
    () => 'Transfer-Encoding: gzip, chunked',
    () => 'Transfer-Encoding: identity',
    () => 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked',
    () => 'Content-Length: 5\r\nContent-Length: 7',
    () => 'Content-Length: -1',
    () => 'Content-Length: abc',
    () => 'Content-Length: 99999999999999999999',
    () => 'Expect: 100-continue',
    () => 'Connection: keep-alive',
    () => 'Connection: upgrade\r\nUpgrade: websocket',
    () => `X-Request-Id: ${'x'.repeat(Math.floor(random() * 100))}`,
    () => 'X-Request-Id: a\r\nX-Request-Id: b',
    () => 'X-Bad: \u0001\u0002',
    () => 'X-Latin: \u00e9t\u00e9',
    () => 'Bad Header: value',
    () => ': no name',
    () => 'no-colon',
    () => `X-Huge: ${'h'.repeat(20_000)}`,
    () => 'Accept: application/graphql-response+json',
    () => 'Accept: */*;q=garbage',
    () => 'Apollo-Require-Preflight: true',
    () => 'Origin: http://evil.example',
    () => 'Host: \u00ff',
    () => ' Folded: continued',
  ];
  return pick(random, options)();
}

function chunked(body: Buffer, random: Random): Buffer {
  if (random() < 0.3) return Buffer.concat([Buffer.from(`zz\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; at += 700) {
    const piece = body.subarray(at, at + 700);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(random() < 0.8 ? '0\r\n\r\n' : '0\r\n'));
  return Buffer.concat(parts);
}

function generateRequest(random: Random, token: string): { payload: Buffer; half: boolean } {
  const method = either(random, METHODS, HOSTILE_METHODS);
  const path = either(random, PATHS, HOSTILE_PATHS, 0.25);
  const version = either(random, VERSIONS, HOSTILE_VERSIONS, 0.1);
  const lines = [[method, path, version].filter((p, i) => p !== '' || i === 0).join(' ')];
  if (random() < 0.9) lines.push('Host: 127.0.0.1');
  const contentType = either(random, CONTENT_TYPES, HOSTILE_CONTENT_TYPES, 0.2);
  if (contentType) lines.push(`Content-Type: ${contentType}`);
  const headerCount = 1 + Math.floor(random() * 3);
  for (let i = 0; i < headerCount; i++) lines.push(random() < 0.25 ? hostileHeader(random, token) : goodHeader(random, token));
  let body = pick(random, BODIES)();
  const framing = random();
  if (lines.some((l) => /^Transfer-Encoding: .*chunked$/im.test(l))) {
    body = chunked(body, random);
  } else if (!lines.some((l) => /^Content-Length/im.test(l)) && body.length > 0) {
    // Exact, short (the rest of the body is then read as the next request), long (a stalled upload) or none.
    const declared = framing < 0.6 ? body.length : framing < 0.75 ? Math.floor(body.length / 2) : framing < 0.85 ? body.length + 100 : null;
    if (declared !== null) lines.push(`Content-Length: ${declared}`);
  }
  if (random() < 0.5) lines.push('Connection: close');
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  // Sometimes the client goes away after half its body.
  const cutAt = random() < 0.1 ? Math.floor(body.length / 2) : body.length;
  return { payload: Buffer.concat([head, body.subarray(0, cutAt)]), half: random() < 0.3 };
}
