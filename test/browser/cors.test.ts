import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium } from 'playwright-core';
import { createDepartment, createLibrary, createServer as createSmtpServer } from '../support/fixtures';
import { startTestGateway, TestGateway, WITH_SNAPSHOT } from '../support/gateway';

const CHROMIUM = '/usr/bin/chromium';
const browserRequired = process.env.REQUIRE_BROWSER === '1';
const runBrowser = existsSync(CHROMIUM) || browserRequired ? describe : describe.skip;
if (!existsSync(CHROMIUM) && !browserRequired) {
  console.log(`*** ${CHROMIUM} is not installed: the CORS browser test is SKIPPED (apt-get install chromium; REQUIRE_BROWSER=1 makes this an error).`);
}

/**
 * What a frontend does from its own origin: sign in with a token, page through the libraries,
 * read a department's effective configuration. Every step goes through the browser's CORS checks
 * (preflights for the authorization and x-request-id headers, reading exposed headers).
 */
function frontendScript(): string {
  return `
async function gql(query, variables, token) {
  const headers = { 'content-type': 'application/json', 'x-request-id': 'page-' + Math.random().toString(36).slice(2, 10) };
  if (token) headers.authorization = 'Bearer ' + token;
  const response = await fetch(GATEWAY + '/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = await response.json();
  return { status: response.status, body, requestId: response.headers.get('x-request-id'), sent: headers['x-request-id'] };
}

async function scenario() {
  const anonymous = await gql('query Libraries { libraries { id name } }', {}, null);
  const list = await gql('query Libraries { libraries { id name } }', {}, TOKEN);
  // The same query again is answered from the gateway's response cache.
  const again = await gql('query Libraries { libraries { id name } }', {}, TOKEN);
  const pages = [];
  const ids = list.body.data.libraries.map((library) => library.id);
  for (let start = 0; start < ids.length; start += PAGE_SIZE) {
    const page = await Promise.all(ids.slice(start, start + PAGE_SIZE).map((id) =>
      gql('query LibraryPage($id: ID!) { library(id: $id) { code departments { id name } } }', { id }, TOKEN)));
    pages.push(page.map((answer) => answer.body.data.library));
  }
  const target = pages.flat().find((library) => library.code === TARGET_CODE);
  const department = target.departments[0];
  const config = await gql(
    'query DepartmentConfig($libraryId: ID!, $departmentId: ID!) { effectiveMailConfig(libraryId: $libraryId, departmentId: $departmentId) { servers { name } sender { address formatted } problems { code } } }',
    { libraryId: ids[pages.flat().indexOf(target)], departmentId: department.id }, TOKEN);
  return {
    anonymousStatus: anonymous.status,
    anonymousCode: anonymous.body.errors[0].extensions.code,
    listed: list.body.data.libraries.length,
    cachedEqual: JSON.stringify(again.body) === JSON.stringify(list.body),
    requestIdEchoed: config.requestId === config.sent,
    pages: pages.map((page) => page.map((library) => library.code)),
    department: department.name,
    config: config.body.data.effectiveMailConfig,
  };
}

async function attempt() {
  try {
    return { answered: (await gql('query Libraries { libraries { id } }', {}, TOKEN)).status };
  } catch (error) {
    return { refused: error.name, message: error.message };
  }
}`;
}

function pageHtml(gatewayUrl: string, token: string, targetCode: string): string {
  const constants = `const GATEWAY = ${JSON.stringify(gatewayUrl)}; const TOKEN = ${JSON.stringify(token)}; const TARGET_CODE = ${JSON.stringify(targetCode)}; const PAGE_SIZE = 2;`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Admin frontend</title></head><body>
<script>${(constants + frontendScript()).replace(/<\//g, '<\\/')}</script></body></html>`;
}

/** A frontend's static server on loopback: another port is another origin. */
async function startPageServer(html: () => string): Promise<{ server: Server; origin: string }> {
  const server = createServer((request, response) => {
    if (request.url !== '/') return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function cacheHits(gw: TestGateway): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  return Number(/^mail_gateway_response_cache_hits_total (\d+)$/m.exec(text)?.[1]);
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

runBrowser('CORS in a real browser: a frontend on another origin (CORS_ORIGINS)', () => {
  let gw: TestGateway;
  let listed: { server: Server; origin: string };
  let unlisted: { server: Server; origin: string };
  let context: BrowserContext;
  let userDataDir: string;
  let html = '';

  beforeAll(async () => {
    listed = await startPageServer(() => html);
    unlisted = await startPageServer(() => html);
    // Only the first page server's origin: the second is another port of the same host.
    gw = await startTestGateway('sqlite', { ...WITH_SNAPSHOT, cors: { origins: [listed.origin] } });
    const server = await createSmtpServer(gw, { name: 'Browser relay', host: 'smtp.example.org', port: 465, allowSsl: true, timeoutMs: 200_000 });
    const codes = ['BRA', 'BRB', 'BRC'];
    for (const code of codes) {
      const library = await createLibrary(gw, { code, name: `Browser ${code}`, contactEmail: `${code.toLowerCase()}@example.org`, smtpServerId: server.id });
      await createDepartment(gw, library.id, { name: `Reading room ${code}`, email: `reading-${code.toLowerCase()}@example.org` });
    }
    html = pageHtml(gw.url, gw.tokens.support, 'BRC');
    userDataDir = await mkdtemp(join(tmpdir(), 'cors-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
    await gw?.close();
    for (const page of [listed, unlisted]) if (page) await closeServer(page.server);
  });

  it('lets a listed origin sign in with a token, page through libraries and read a department configuration', async () => {
    const page = await context.newPage();
    await page.goto(`${listed.origin}/`);
    const hitsBefore = await cacheHits(gw);
    const result = await page.evaluate('scenario()');
    // The repeated list was served from the response cache, and the browser still accepted it.
    expect(await cacheHits(gw)).toBeGreaterThan(hitsBefore);
    expect(result).toEqual({
      // A 401 the page can read: the refusal carries the CORS headers too.
      anonymousStatus: 401,
      anonymousCode: 'UNAUTHENTICATED',
      listed: 3,
      cachedEqual: true,
      requestIdEchoed: true,
      pages: [['BRA', 'BRB'], ['BRC']],
      department: 'Reading room BRC',
      config: {
        servers: [{ name: 'Browser relay' }],
        sender: { address: 'reading-brc@example.org', formatted: 'reading-brc@example.org' },
        problems: [],
      },
    });
    await page.close();
  });

  it('refuses a page from an origin not listed: its fetch throws a TypeError', async () => {
    const page = await context.newPage();
    await page.goto(`${unlisted.origin}/`);
    const result = (await page.evaluate('attempt()')) as { refused?: string; answered?: number };
    expect(result).toEqual({ refused: 'TypeError', message: expect.any(String) });
    await page.close();
  });
});
