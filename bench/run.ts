import 'reflect-metadata';
import autocannon from 'autocannon';
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { AddressInfo, createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { signToken } from '../src/auth/token-verifier';
import { createDataSource } from '../src/database/data-source';
import { writeScenario, WriteBenchDeps } from './writes';
import { describeSubscriptionResult, subscriptionScenario } from './subscriptions';

/**
 * `npm run bench`: one run, one machine, one load generator setting for every scenario.
 *   (a) a raw node:http server returning the identical response bytes (the ceiling)
 *   (b) warm effectiveMailConfig (configuration snapshot and response cache on)
 *   (c) the same with the cache disabled (CONFIG_CACHE=false)
 *   (d) the admin list query: every department of every library with its effective configuration
 *   (m) resident memory through 10,000 unique query texts and through a cache flood
 *   (e) /healthz latency while 6 clients send an anonymous 1 MB document (refused before parsing)
 *   (p) a page of 50 departments from the middle of the list, with effective configurations, at
 *       the full size and at 200 departments (response cache off, so every request pages)
 *   (o) a page of 50 of the mail health overview, at the full size and at 200 departments
 *   (w) a small write at the full size and at 200 departments, and its propagation to a second instance
 *   (s) 2,000 open subscriptions over WebSocket while one write a second runs for 20 s
 * `BENCH_ONLY=m`, `BENCH_ONLY=w` or `BENCH_ONLY=s` runs that scenario alone; `BENCH_DATABASE=<path>` keeps its
 * dataset between runs.
 * Flags: --libraries 2000 --departments 10 --servers 50 --duration 5 --connections 10
 *        --pagingOnly 1 runs only (p) and (o)
 */
interface Options {
  libraries: number;
  departments: number;
  servers: number;
  duration: number;
  connections: number;
  pagingOnly: number;
}

function parseFlags(argv: string[]): Options {
  const options: Options = { libraries: 2000, departments: 10, servers: 50, duration: 5, connections: 10, pagingOnly: 0 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '') as keyof Options;
    const value = Number(argv[i + 1]);
    if (!(key in options) || !Number.isFinite(value) || value <= 0) throw new Error(`unknown or invalid flag ${argv[i]} ${argv[i + 1] ?? ''}`);
    options[key] = value;
  }
  return options;
}

const SECRET = 'bench-secret-that-is-at-least-32-bytes-long';
const KEY = Buffer.alloc(32, 9).toString('base64');
const ROOT = join(__dirname, '..', '..');

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Bulk-inserts the dataset with multi-row INSERTs; the gateway reads it as if support had typed it in. */
async function generate(path: string, options: Options): Promise<{ seconds: number }> {
  const started = Date.now();
  const dataSource = createDataSource({ type: 'sqlite', path });
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
  const audit = [1, now, now, 'bench'];
  const insert = async (table: string, columns: string[], rows: unknown[][]) => {
    for (let i = 0; i < rows.length; i += 400) {
      const chunk = rows.slice(i, i + 400);
      const placeholders = chunk.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ');
      await dataSource.query(`INSERT INTO ${table} (${columns.map((c) => `\`${c}\``).join(', ')}) VALUES ${placeholders}`, chunk.flat());
    }
  };
  await dataSource.transaction(async () => {
    const audited = ['version', 'createdAt', 'updatedAt', 'updatedBy'];
    // Chains of five: server n falls back to n+1 unless n+1 starts a new chain.
    await insert(
      'smtp_server',
      ['id', 'name', 'host', 'port', 'protocol', 'allowTls', 'allowSsl', 'requiresAuth', 'connectionTimeoutMs', 'timeoutMs', 'nextServerId', ...audited],
      Array.from({ length: options.servers }, (_, i) => {
        const id = options.servers - i;
        const next = id % 5 === 0 || id === options.servers ? null : id + 1;
        // Every tenth relay times out below the recommended 180 s, so part of the network has warnings.
        const timeoutMs = id % 10 === 3 ? 60000 : 180000;
        return [id, `Relay ${id}`, `smtp${id}.example.org`, 587, 'SMTP', 1, 0, 0, 30000, timeoutMs, next, ...audit];
      }),
    );
    await insert(
      'library',
      ['id', 'code', 'name', 'shortName', 'contactEmail', 'smtpServerId', ...audited],
      Array.from({ length: options.libraries }, (_, i) => [
        i + 1,
        `LIB${i + 1}`,
        `Library ${i + 1}`,
        `LIB-${i + 1}`,
        `library${i + 1}@example.org`,
        i % 3 === 0 ? null : (i % options.servers) + 1,
        ...audit,
      ]),
    );
    await insert(
      'department',
      ['id', 'libraryId', 'name', 'email', 'smtpServerId', ...audited],
      Array.from({ length: options.libraries * options.departments }, (_, i) => {
        const library = Math.floor(i / options.departments) + 1;
        return [
          i + 1,
          library,
          `Department ${i + 1}`,
          i % 2 ? `dept${i + 1}@example.org` : null,
          i % 4 === 0 ? ((i * 7) % options.servers) + 1 : null,
          ...audit,
        ];
      }),
    );
    const values: unknown[][] = [[1, 'DEFAULT_SMTP_SERVER', 'GLOBAL', 'GLOBAL', null, null, '1', 1, ...audit]];
    for (let library = 1; library <= options.libraries; library += 10) {
      const server = (library % options.servers) + 1;
      values.push([values.length + 1, 'ILS_SMTP_SERVER', 'LIBRARY', `LIBRARY:${library}`, library, null, String(server), server, ...audit]);
      values.push([values.length + 1, 'ILS_EMAIL', 'LIBRARY', `LIBRARY:${library}`, library, null, `mvs${library}@example.org`, null, ...audit]);
    }
    await insert('setting_value', ['id', 'key', 'scope', 'scopeKey', 'libraryId', 'departmentId', 'value', 'smtpServerId', ...audited], values);
  });
  await dataSource.destroy();
  return { seconds: (Date.now() - started) / 1000 };
}

interface Running {
  url: string;
  process: ChildProcess;
  /** The last lines the process wrote, for a failure report. */
  output(): string;
  stop(): Promise<void>;
}

async function waitFor(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited early:\n${output()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${url}:\n${output()}`);
}

function spawnProcess(args: string[], env: Record<string, string>, readyUrl: string, baseUrl: string): Promise<Running> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return waitFor(readyUrl, child, () => output).then(() => ({ url: baseUrl, process: child, output: () => output, stop }));
}

async function startGateway(databasePath: string, cache: boolean, env: Record<string, string> = {}): Promise<Running> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  return spawnProcess(
    [join(ROOT, 'dist', 'src', 'main.js')],
    {
      NODE_ENV: 'production',
      PORT: String(port),
      DATABASE_URL: `sqlite:${databasePath}`,
      AUTH_JWT_SECRET: SECRET,
      MAIL_CONFIG_KEY: KEY,
      LOG_LEVEL: 'warn',
      CONFIG_CACHE: String(cache),
      CONFIG_REFRESH_MS: '1000',
      GRAPHQL_MAX_FIELDS: '100000',
      // The dataset's hosts are not on this machine: no probes, no background DNS.
      SMTP_PROBE_INTERVAL_S: '0',
      ...env,
    },
    `${url}/readyz`,
    url,
  );
}

/** The ceiling: node:http answering with the gateway's own response bytes and headers. */
async function startRawServer(body: string, headers: Record<string, string>): Promise<Running> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const script = `
    const http = require('node:http');
    const body = Buffer.from(${JSON.stringify(body)});
    const headers = ${JSON.stringify(headers)};
    http.createServer((req, res) => {
      if (req.method === 'GET') { res.end('ok'); return; }
      req.on('data', () => {});
      req.on('end', () => { res.writeHead(200, headers); res.end(body); });
    }).listen(${port}, '127.0.0.1');`;
  return spawnProcess(['-e', script], {}, `${url}/`, url);
}

interface Measured {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  sqlStatementsPerRequest?: number;
}

function cannon(url: string, body: string, token: string, connections: number, seconds: number) {
  return autocannon({
    url: `${url}/graphql`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
    connections,
    duration: seconds,
  });
}

/** Load at a fixed setting after a one-second warm-up (JIT, caches, connections), which is not counted. */
async function load(
  url: string,
  body: string,
  token: string,
  options: Options,
  connections = options.connections,
  duration = options.duration,
  count?: (work: () => Promise<Measured>) => Promise<Measured>,
): Promise<Measured> {
  await cannon(url, body, token, connections, 1);
  const measure = async (): Promise<Measured> => {
    const result = await cannon(url, body, token, connections, duration);
    return {
      requestsPerSecond: Math.round(result.requests.average),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      requests: result.requests.total,
      non2xx: result.non2xx,
      errors: result.errors,
    };
  };
  return count ? count(measure) : measure();
}

/**
 * A scrape on a connection of its own: a kept-alive one from before a load run may have been closed
 * by the gateway while this process's event loop was busy generating load (ECONNRESET).
 */
function scrape(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${url}/metrics`, { agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve(text));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

async function metric(url: string, name: string): Promise<number> {
  const text = await scrape(url);
  const match = new RegExp(`^${name} ([0-9.e+]+)$`, 'm').exec(text);
  return match ? Number(match[1]) : NaN;
}

/** SQL statements per request, without the instance's own once-a-second revision checks. */
async function withStatements(url: string, work: () => Promise<Measured>): Promise<Measured> {
  const statements = async () => (await metric(url, 'mail_gateway_sql_statements_total')) - (await metric(url, 'mail_gateway_config_revision_checks_total'));
  const before = await statements();
  const measured = await work();
  const after = await statements();
  return { ...measured, sqlStatementsPerRequest: Math.round(((after - before) / Math.max(1, measured.requests)) * 1000) / 1000 };
}

/**
 * Latency with sub-millisecond resolution: one request at a time over a kept-alive connection,
 * timed with performance.now() (the load generator rounds latencies to whole milliseconds).
 */
async function sequentialLatency(url: string, body: string, token: string, count: number): Promise<{ p50Ms: number; p99Ms: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(`${url}/graphql`);
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      const request = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve(performance.now() - started));
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  for (let i = 0; i < Math.min(200, count); i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < count; i++) samples.push(await once());
  agent.destroy();
  samples.sort((x, y) => x - y);
  const at = (q: number) => Math.round(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] * 1000) / 1000;
  return { p50Ms: at(0.5), p99Ms: at(0.99) };
}

/**
 * Both gateways measured in alternating rounds, so a slow moment of the machine falls on both;
 * the result is the median over the rounds.
 */
async function interleavedLatency(largeUrl: string, largeBody: string, smallUrl: string, smallBody: string, token: string) {
  const large: Array<{ p50Ms: number; p99Ms: number }> = [];
  const small: Array<{ p50Ms: number; p99Ms: number }> = [];
  for (let round = 0; round < 6; round++) {
    large.push(await sequentialLatency(largeUrl, largeBody, token, 500));
    small.push(await sequentialLatency(smallUrl, smallBody, token, 500));
  }
  const median = (rounds: Array<{ p50Ms: number; p99Ms: number }>) => {
    const pick = (key: 'p50Ms' | 'p99Ms') => rounds.map((r) => r[key]).sort((x, y) => x - y)[Math.floor(rounds.length / 2)];
    return { p50Ms: pick('p50Ms'), p99Ms: pick('p99Ms') };
  };
  return { large: median(large), small: median(small) };
}

/** The issue's flood: a 1 MB document of 333k fields, sent without a token. */
const ANONYMOUS_DOCUMENT = JSON.stringify({ query: `{ ${'aa '.repeat(333_000)}}` });

/** /healthz one request at a time, timed with performance.now(), while `clients` send the anonymous document. */
async function healthzUnderAnonymousFlood(
  url: string,
  clients: number,
  samples: number,
): Promise<{ p50Ms: number; p99Ms: number; floodRequests: number; flood401: number }> {
  const flood = autocannon(
    { url: `${url}/graphql`, method: 'POST', headers: { 'content-type': 'application/json' }, body: ANONYMOUS_DOCUMENT, connections: clients, duration: 3600 },
    () => undefined,
  );
  let answered = 0;
  let unauthorized = 0;
  flood.on('response', (_client: unknown, status: number) => {
    answered += 1;
    if (status === 401) unauthorized += 1;
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(`${url}/healthz`);
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      http
        .get({ host: target.hostname, port: target.port, path: target.pathname, agent }, (response) => {
          response.resume();
          response.on('end', () => resolve(performance.now() - started));
        })
        .on('error', reject);
    });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const measured: number[] = [];
  for (let i = 0; i < samples; i++) measured.push(await once());
  flood.stop();
  agent.destroy();
  measured.sort((x, y) => x - y);
  const at = (q: number) => Math.round(measured[Math.min(measured.length - 1, Math.floor(q * measured.length))] * 100) / 100;
  return { p50Ms: at(0.5), p99Ms: at(0.99), floodRequests: answered, flood401: unauthorized };
}

async function timeOne(url: string, token: string, body: string): Promise<number> {
  const started = performance.now();
  await post(url, token, body);
  return Math.round(performance.now() - started);
}

async function post(url: string, token: string, body: string): Promise<{ text: string; headers: Record<string, string> }> {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
  const text = await response.text();
  if (!response.ok || text.includes('"errors"')) throw new Error(`unexpected response: ${text.slice(0, 500)}`);
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name === 'content-type' || name === 'cache-control' || name === 'vary') headers[name] = value;
  });
  return { text, headers };
}

/** Resident memory of a process in bytes, from /proc (Linux); null elsewhere. */
function residentBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** The highest resident memory of the gateway while `work` runs, sampled every 20 ms (or from /metrics). */
async function peakResident(gateway: Running, work: () => Promise<void>): Promise<number> {
  const pid = gateway.process.pid ?? -1;
  const sample = async () => residentBytes(pid) ?? (await metric(gateway.url, 'process_resident_memory_bytes'));
  let peak = await sample();
  let running = true;
  const sampler = (async () => {
    while (running) {
      peak = Math.max(peak, await sample());
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    await work();
  } finally {
    running = false;
    await sampler;
  }
  return Math.max(peak, await sample());
}

/** Sends `count` requests built by `bodyOf`, `connections` at a time; any failure aborts the run. */
async function sendAll(url: string, token: string, count: number, connections: number, bodyOf: (i: number) => string): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await post(url, token, bodyOf(next++));
  };
  await Promise.all(Array.from({ length: connections }, worker));
}

/** Distinct texts for the same kind of question, as many clients with their own query builders send. */
function uniqueQuery(i: number, libraries: number): string {
  const library = (i % libraries) + 1;
  return JSON.stringify({
    query: `query Unique${i} { l${i}: library(id: "${library}") { code name departments { id name email effectiveMailConfig { servers { name host port } sender { formatted } problems { code severity } } } } }`,
  });
}

/**
 * About 442 KB of query: the operation that runs (every library's departments) and thousands of
 * small ones beside it. Each flood request adds one more trailing space, so its text is new.
 */
function floodQuery(): string {
  const filler = Array.from({ length: 8060 }, (_, i) => `query Filler${i} { smtpServers { id name host port } }`).join('\n');
  return `query Flood { libraries { code name departments { id name } } }\n${filler}`;
}

async function memoryScenarios(databasePath: string, token: string, options: Options) {
  // The flood document has about 90,000 tokens: under the default token limit it would be refused
  // before parsing, and the flood would measure less than the original reproduction did.
  const gateway = await startGateway(databasePath, true, { GRAPHQL_MAX_TOKENS: '1000000' });
  try {
    const afterLoad = residentBytes(gateway.process.pid ?? -1) ?? (await metric(gateway.url, 'process_resident_memory_bytes'));
    log('(m) 10,000 requests with unique query texts...');
    const unique = await peakResident(gateway, () => sendAll(gateway.url, token, 10_000, options.connections, (i) => uniqueQuery(i, options.libraries)));
    const flood = floodQuery();
    log(`(m) cache flood: the same ${Math.round(flood.length / 1000)} KB query with one more trailing space, 300 times...`);
    const flooded = await peakResident(gateway, () =>
      sendAll(gateway.url, token, 300, 1, (i) => JSON.stringify({ query: `${flood}${' '.repeat(i)}`, operationName: 'Flood' })),
    );
    const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
    return { rssAfterLoadMiB: mib(afterLoad), uniqueTextsPeakMiB: mib(unique), cacheFloodPeakMiB: mib(flooded), floodQueryKB: Math.round(flood.length / 1000) };
  } finally {
    await gateway.stop();
  }
}

function logMemory(departments: number, memory: Awaited<ReturnType<typeof memoryScenarios>>): void {
  log(
    `peak resident memory at ${departments} departments: ${memory.rssAfterLoadMiB} MiB after loading, ${memory.uniqueTextsPeakMiB} MiB through 10,000 unique query texts, ${memory.cacheFloodPeakMiB} MiB through the ${memory.floodQueryKB} KB cache flood`,
  );
}

/**
 * `BENCH_ONLY=m`: scenario (m) alone, for work on memory. `BENCH_DATABASE=<path>` keeps the
 * generated dataset there and reuses it on the next run (generation is most of the time).
 */
async function memoryOnly(generatedPath: string, options: Options): Promise<void> {
  const cached = process.env.BENCH_DATABASE;
  const path = cached ?? generatedPath;
  if (!cached || !existsSync(cached)) log(`Generated the dataset in ${(await generate(path, options)).seconds.toFixed(1)} s`);
  const token = await signToken(SECRET, { sub: 'bench', roles: ['service'] });
  logMemory(options.libraries * options.departments, await memoryScenarios(path, token, options));
}

/** (s): subscriptions on a production gateway over the dataset. */
async function subscriptionsScenario(databasePath: string, options: Options) {
  const gateway = await startGateway(databasePath, true);
  try {
    const tokens = {
      service: await signToken(SECRET, { sub: 'bench-service', roles: ['service'] }),
      support: await signToken(SECRET, { sub: 'bench-support', roles: ['support'] }),
    };
    const pid = gateway.process.pid ?? -1;
    const result = await subscriptionScenario(
      {
        url: gateway.url,
        rss: async () => residentBytes(pid) ?? (await metric(gateway.url, 'process_resident_memory_bytes')),
        metric: (name) => metric(gateway.url, name),
        stop: () => gateway.stop(),
      },
      tokens,
      { libraries: options.libraries, departments: options.departments },
    );
    log(describeSubscriptionResult(result));
    return result;
  } finally {
    await gateway.stop();
  }
}

/** `BENCH_ONLY=s`: scenario (s) alone, on the generated (or `BENCH_DATABASE`) dataset. */
async function subscriptionsOnly(generatedPath: string, options: Options): Promise<void> {
  const cached = process.env.BENCH_DATABASE;
  const path = cached ?? generatedPath;
  if (!cached || !existsSync(cached)) log(`Generated the dataset in ${(await generate(path, options)).seconds.toFixed(1)} s`);
  await subscriptionsScenario(path, options);
}

const PAGE_QUERY = `query DepartmentsPage($after: String) { departmentsConnection(first: 50, after: $after) {
  nodes { name effectiveMailConfig { servers { name } } } pageInfo { endCursor } } }`;

/** A cursor halfway down the department list, reached by paging 500 at a time. */
async function middleCursor(url: string, token: string, departments: number): Promise<string | null> {
  let after: string | null = null;
  for (let seen = 0; seen + 500 <= departments / 2; seen += 500) {
    const body: string = JSON.stringify({
      query: 'query Walk($after: String) { departmentsConnection(first: 500, after: $after) { pageInfo { endCursor } } }',
      variables: { after },
    });
    after = (JSON.parse((await post(url, token, body)).text) as { data: { departmentsConnection: { pageInfo: { endCursor: string } } } }).data
      .departmentsConnection.pageInfo.endCursor;
  }
  return after;
}

/** (p): one page of 50 costs the same whatever the list's length (keyset on the snapshot's sorted index). */
async function pagingScenario(large: string, small: string, token: string, departments: number) {
  const noResponseCache = { RESPONSE_CACHE_MAX_BYTES: '0' };
  const [largeGateway, smallGateway] = [await startGateway(large, true, noResponseCache), await startGateway(small, true, noResponseCache)];
  try {
    const bodyOf = async (url: string, total: number) => JSON.stringify({ query: PAGE_QUERY, variables: { after: await middleCursor(url, token, total) } });
    const result = await interleavedLatency(
      largeGateway.url,
      await bodyOf(largeGateway.url, departments),
      smallGateway.url,
      await bodyOf(smallGateway.url, 200),
      token,
    );
    log(
      `(p) page of 50 departments with effective configurations: p50 ${result.large.p50Ms} ms / p99 ${result.large.p99Ms} ms at ${departments} departments, p50 ${result.small.p50Ms} ms / p99 ${result.small.p99Ms} ms at 200 (ratio ${Math.round((result.large.p50Ms / result.small.p50Ms) * 100) / 100})`,
    );
    return result;
  } finally {
    await largeGateway.stop();
    await smallGateway.stop();
  }
}

const OVERVIEW_QUERY = `query Overview { mailHealthOverview(first: 50) {
  totalCount summary { code severity count } nodes { library { name } department { name } purpose worstSeverity problems { code } }
  pageInfo { endCursor } } }`;

/** (o): a page of the network mail health overview costs the same at the full size as at 200 departments. */
async function overviewScenario(large: string, small: string, departments: number) {
  const support = await signToken(SECRET, { sub: 'bench-support', roles: ['support'] });
  const noResponseCache = { RESPONSE_CACHE_MAX_BYTES: '0' };
  const [largeGateway, smallGateway] = [await startGateway(large, true, noResponseCache), await startGateway(small, true, noResponseCache)];
  try {
    const body = JSON.stringify({ query: OVERVIEW_QUERY });
    const totalOf = async (url: string) =>
      (JSON.parse((await post(url, support, body)).text) as { data: { mailHealthOverview: { totalCount: number } } }).data.mailHealthOverview.totalCount;
    const totals = { large: await totalOf(largeGateway.url), small: await totalOf(smallGateway.url) };
    const result = await interleavedLatency(largeGateway.url, body, smallGateway.url, body, support);
    log(
      `(o) page of 50 of the mail health overview (${totals.large} and ${totals.small} items with problems): p50 ${result.large.p50Ms} ms / p99 ${result.large.p99Ms} ms at ${departments} departments, p50 ${result.small.p50Ms} ms / p99 ${result.small.p99Ms} ms at 200 (ratio ${Math.round((result.large.p50Ms / result.small.p50Ms) * 100) / 100})`,
    );
    return result;
  } finally {
    await largeGateway.stop();
    await smallGateway.stop();
  }
}

async function main(): Promise<void> {
  const options = parseFlags(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'mail-gateway-bench-'));
  const running: Running[] = [];
  try {
    log(`Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
    log(
      `Dataset: ${options.libraries} libraries x ${options.departments} departments, ${options.servers} servers; load: ${options.connections} connections, ${options.duration} s per scenario after 1 s warm-up`,
    );
    const large = join(dir, 'large.sqlite');
    const small = join(dir, 'small.sqlite');
    if (process.env.BENCH_ONLY === 'm') return await memoryOnly(large, options);
    if (process.env.BENCH_ONLY === 's') return await subscriptionsOnly(large, options);
    const generated = await generate(large, options);
    await generate(small, { ...options, libraries: 20, departments: 10 });
    log(`Generated the dataset in ${generated.seconds.toFixed(1)} s`);
    const support = await signToken(SECRET, { sub: 'bench-support', roles: ['support'] });
    const writeDeps: WriteBenchDeps = { startGateway: (path, env) => startGateway(path, true, env), post, log, refreshMs: 1000 };
    if (process.env.BENCH_ONLY === 'w') {
      await writeScenario(writeDeps, large, small, support, options.libraries * options.departments);
      return;
    }
    if (options.pagingOnly) {
      const onlyToken = await signToken(SECRET, { sub: 'bench', roles: ['service'] });
      await pagingScenario(large, small, onlyToken, options.libraries * options.departments);
      await overviewScenario(large, small, options.libraries * options.departments);
      return;
    }

    const token = await signToken(SECRET, { sub: 'bench', roles: ['service'] });
    const departments = options.libraries * options.departments;
    const departmentId = Math.ceil(departments / 2) + 1;
    const libraryId = Math.floor((departmentId - 1) / options.departments) + 1;
    const single = JSON.stringify({
      query:
        'query Effective($l: ID!, $d: ID) { effectiveMailConfig(libraryId: $l, departmentId: $d) { servers { name host port allowTls allowSsl } sender { address name formatted } problems { code severity } stale } }',
      variables: { l: String(libraryId), d: String(departmentId) },
    });
    const admin = JSON.stringify({
      query: 'query AdminList { libraries { code departments { name effectiveMailConfig { servers { name } sender { formatted } problems { code } } } } }',
    });

    const warm = await startGateway(large, true);
    running.push(warm);
    const rssAfterLoad = await metric(warm.url, 'process_resident_memory_bytes');
    const reloadMs = await metric(warm.url, 'mail_gateway_config_snapshot_last_reload_ms');
    const reference = await post(warm.url, token, single);
    const raw = await startRawServer(reference.text, reference.headers);
    running.push(raw);

    log('(a) raw node:http ceiling...');
    const a = await load(raw.url, single, token, options);
    await raw.stop();
    log('(b) warm effectiveMailConfig...');
    const b = await load(warm.url, single, token, options, options.connections, options.duration, (work) => withStatements(warm.url, work));
    log('(d) admin list query...');
    const dFirstMs = await timeOne(warm.url, token, admin);
    const d = await load(warm.url, admin, token, options, 1, options.duration, (work) => withStatements(warm.url, work));

    const cold = await startGateway(large, false);
    running.push(cold);
    log('(c) effectiveMailConfig with the cache disabled...');
    const c = await load(cold.url, single, token, options, options.connections, options.duration, (work) => withStatements(cold.url, work));
    const dCold = await load(cold.url, admin, token, options, 1, options.duration, (work) => withStatements(cold.url, work));
    await cold.stop();

    const smallGateway = await startGateway(small, true);
    running.push(smallGateway);
    const smallBody = JSON.stringify({ ...JSON.parse(single), variables: { l: '10', d: '95' } });
    log('(b) at 200 departments, for the scaling ratio...');
    const bSmall = await load(smallGateway.url, smallBody, token, options);
    const dSmallFirstMs = await timeOne(smallGateway.url, token, admin);
    const dSmall = await load(smallGateway.url, admin, token, options, 1, 2, (work) => withStatements(smallGateway.url, work));
    const coldSmall = await startGateway(small, false);
    running.push(coldSmall);
    const dColdSmall = await load(coldSmall.url, admin, token, options, 1, 2, (work) => withStatements(coldSmall.url, work));
    await coldSmall.stop();
    log(`one request at a time, ${departments} and 200 departments interleaved...`);
    const { large: bLatency, small: bSmallLatency } = await interleavedLatency(warm.url, single, smallGateway.url, smallBody, token);
    await smallGateway.stop();
    log('(e) /healthz while 6 clients send an anonymous 1 MB document...');
    const e = await healthzUnderAnonymousFlood(warm.url, 6, 1000);
    await warm.stop();
    const memory = await memoryScenarios(large, token, options);
    const paging = await pagingScenario(large, small, token, departments);
    const overview = await overviewScenario(large, small, departments);
    const writes = await writeScenario(writeDeps, large, small, support, departments);
    const subscriptions = await subscriptionsScenario(large, options);

    const results = {
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? null, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      dataset: { ...options, totalDepartments: departments },
      scenarios: {
        a_raw: a,
        b_warm: b,
        c_cacheDisabled: c,
        d_adminList: d,
        d_adminList_cacheDisabled: dCold,
        b_warm_200departments: bSmall,
        d_adminList_200departments: dSmall,
        d_adminList_cacheDisabled_200departments: dColdSmall,
      },
      sequentialLatency: { b_warm: bLatency, b_warm_200departments: bSmallLatency },
      healthzUnderAnonymousFlood: e,
      departmentsPageOf50: { [`departments${departments}`]: paging.large, departments200: paging.small },
      mailHealthOverviewPageOf50: { [`departments${departments}`]: overview.large, departments200: overview.small },
      writes,
      adminListFirstRequestMs: { departments20000: dFirstMs, departments200: dSmallFirstMs },
      ratios: {
        b_over_a: Math.round((b.requestsPerSecond / a.requestsPerSecond) * 1000) / 1000,
        b_over_c: Math.round((b.requestsPerSecond / c.requestsPerSecond) * 100) / 100,
        p50_large_over_200: Math.round((bLatency.p50Ms / bSmallLatency.p50Ms) * 100) / 100,
      },
      residentMemoryAfterLoadMiB: Math.round(rssAfterLoad / 2 ** 20),
      snapshotReloadMs: reloadMs,
      memory,
      subscriptions,
      targets: {
        'b/a >= 0.35': b.requestsPerSecond / a.requestsPerSecond >= 0.35,
        'warm (b) costs 0 statements': b.sqlStatementsPerRequest === 0,
        "(d)'s statements independent of N": d.sqlStatementsPerRequest === dSmall.sqlStatementsPerRequest,
        [`p50 at ${departments} departments within 1.2x of 200`]: bLatency.p50Ms / bSmallLatency.p50Ms <= 1.2,
        [`snapshot of ${departments} departments reloads in under 1 s`]: reloadMs < 1000,
        'peak RSS under 300 MiB through 10,000 unique query texts': memory.uniqueTextsPeakMiB < 300,
        'peak RSS under 300 MiB through the cache flood': memory.cacheFloodPeakMiB < 300,
        '/healthz p99 < 50 ms while 6 clients send the anonymous 1 MB document': e.p99Ms < 50,
        [`a page of 50 departments at ${departments} within 1.2x of 200`]: paging.large.p50Ms / paging.small.p50Ms <= 1.2,
        [`a page of the mail health overview at ${departments} within 1.2x of 200`]: overview.large.p50Ms / overview.small.p50Ms <= 1.2,
        [`a write at ${departments} departments within 1.5x of 200`]: writes.ratio <= 1.5,
        [`a write reaches a second instance within CONFIG_REFRESH_MS + 100 ms`]: writes.propagation.maxMs <= 1000 + 100,
        'every expected subscription update delivered, and no other': subscriptions.updatesDelivered === subscriptions.updatesExpected,
      },
    };

    const row = (name: string, m: Measured) =>
      `${name.padEnd(34)} ${String(m.requestsPerSecond).padStart(8)} req/s   p50 ${String(m.p50Ms).padStart(6)} ms   p99 ${String(m.p99Ms).padStart(6)} ms${m.sqlStatementsPerRequest === undefined ? '' : `   SQL/request ${m.sqlStatementsPerRequest}`}${m.non2xx || m.errors ? `   non-2xx ${m.non2xx} errors ${m.errors}` : ''}`;
    log('');
    log(row('(a) raw node:http', a));
    log(row('(b) warm effectiveMailConfig', b));
    log(row('(c) cache disabled', c));
    log(row('(d) admin list query', d));
    log(row('(d) admin list, cache disabled', dCold));
    log(row('(b) at 200 departments', bSmall));
    log(row('(d) admin list at 200 departments', dSmall));
    log(row('(d) same, cache disabled', dColdSmall));
    log('');
    log(
      `one request at a time: p50 ${bLatency.p50Ms} ms / p99 ${bLatency.p99Ms} ms at ${departments} departments, p50 ${bSmallLatency.p50Ms} ms / p99 ${bSmallLatency.p99Ms} ms at 200`,
    );
    log(`admin list, first (uncached) request: ${dFirstMs} ms at ${departments} departments, ${dSmallFirstMs} ms at 200`);
    log(`b/a = ${results.ratios.b_over_a}   b/c = ${results.ratios.b_over_c}   p50 ${departments}/200 departments = ${results.ratios.p50_large_over_200}`);
    log(
      `/healthz while 6 clients send an anonymous 1 MB document: p50 ${e.p50Ms} ms / p99 ${e.p99Ms} ms (${e.floodRequests} flood requests answered, ${e.flood401} of them 401)`,
    );
    log(`resident memory after loading ${departments} departments: ${results.residentMemoryAfterLoadMiB} MiB; snapshot reload: ${reloadMs} ms`);
    logMemory(departments, memory);
    for (const [target, met] of Object.entries(results.targets)) log(`${met ? 'met    ' : 'NOT MET'}  ${target}`);
    mkdirSync(join(ROOT, 'bench'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    log('Wrote bench/results.json');
  } catch (error) {
    for (const r of running)
      if (r.process.exitCode !== null || r.process.signalCode !== null)
        log(`a gateway ended early (${r.process.exitCode ?? r.process.signalCode}):\n${r.output()}`);
    throw error;
  } finally {
    await Promise.all(running.map((r) => r.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`Benchmark failed: ${error instanceof Error ? error.stack : inspect(error)}\n`);
  process.exit(1);
});
