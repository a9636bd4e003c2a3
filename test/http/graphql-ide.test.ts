import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { AppConfig, ConfigError, loadConfig } from '../../src/config';
import { createGraphQLIde } from '../../src/ide/graphql-ide';
import { startTestGateway, TestGateway } from '../support/gateway';

/**
 * The GraphQL IDE in development: GET /graphql from a browser is GraphiQL, its files come from
 * the npm packages through the gateway itself, and neither the page nor its files need a token,
 * while every GraphQL request still does.
 */
const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

function npmFile(pkg: string, path: string): Buffer {
  return readFileSync(join(dirname(require.resolve(`${pkg}/package.json`)), path));
}

const NPM_FILES: Array<[string, string, string, RegExp]> = [
  ['graphiql.min.js', 'graphiql', 'graphiql.min.js', /^text\/javascript/],
  ['graphiql.min.css', 'graphiql', 'graphiql.min.css', /^text\/css/],
  ['react.production.min.js', 'react', 'umd/react.production.min.js', /^text\/javascript/],
  ['react-dom.production.min.js', 'react-dom', 'umd/react-dom.production.min.js', /^text\/javascript/],
];

describe('the GraphQL IDE in development', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway('sqlite');
  });
  afterAll(() => gateway.close());

  it('serves GraphiQL to a browser opening /graphql without a token, under a strict policy', async () => {
    const response = await fetch(`${gateway.url}/graphql`, { headers: HTML });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toMatch(/script-src 'self'(;|$)/);
    expect(policy).toMatch(/connect-src 'self'/);
    const page = await response.text();
    const sources = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(sources).toEqual(expect.arrayContaining(['graphql/ide/graphiql.min.js', 'graphql/ide/react.production.min.js', 'graphql/ide/ide.js']));
    // Nothing from another host, and no inline script the policy would block.
    expect(sources.every((source) => !/^(https?:)?\/\//.test(source))).toBe(true);
    expect(page).not.toMatch(/<script>/);
  });

  it.each(NPM_FILES)('serves %s from the installed npm package', async (name, pkg, path, type) => {
    const response = await fetch(`${gateway.url}/graphql/ide/${name}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(type);
    expect(Buffer.from(await response.arrayBuffer()).equals(npmFile(pkg, path))).toBe(true);
  });

  it('serves its own start-up script, which uses the header editor and the gateway URL', async () => {
    const response = await fetch(`${gateway.url}/graphql/ide/ide.js`);
    expect(response.status).toBe(200);
    const script = await response.text();
    expect(script).toMatch(/GraphiQL\.createFetcher/);
    expect(script).toMatch(/Bearer /);
  });

  it('answers 404 for any other file under /graphql/ide/', async () => {
    for (const path of ['/graphql/ide/nothing.js', '/graphql/ide/', '/graphql/ide/%2e%2e%2fpackage.json', '/graphql/ide/graphiql.min.js.map']) {
      expect((await fetch(`${gateway.url}${path}`)).status).toBe(404);
    }
  });

  it('still requires a token for every GraphQL request, also from a browser', async () => {
    const withQuery = await fetch(`${gateway.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: HTML });
    expect(withQuery.status).toBe(401);
    const asJson = await fetch(`${gateway.url}/graphql`, { headers: { accept: 'application/json' } });
    expect(asJson.status).toBe(401);
    const post = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { ...HTML, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(post.status).toBe(401);
  });
});

describe.each<[string, Partial<AppConfig>]>([
  [
    'in production',
    { production: true, graphql: { introspection: false, maxDepth: 12, maxAliases: 30, maxFields: 500, maxBodyBytes: 1024 * 1024, maxTokens: 20_000 } },
  ],
  ['with GRAPHQL_IDE=false', { graphqlIde: false }],
  ['with introspection off', { graphql: { introspection: false, maxDepth: 12, maxAliases: 30, maxFields: 500, maxBodyBytes: 1024 * 1024, maxTokens: 20_000 } }],
])('no GraphQL IDE %s', (_name, overrides) => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway('sqlite', overrides);
  });
  afterAll(() => gateway.close());

  it('refuses GET /graphql from a browser without a token, and has no IDE files', async () => {
    expect((await fetch(`${gateway.url}/graphql`, { headers: HTML })).status).toBe(401);
    expect((await fetch(`${gateway.url}/graphql/ide/graphiql.min.js`)).status).toBe(404);
  });
});

describe('the GraphQL IDE without its npm packages (an install without development dependencies)', () => {
  let server: Server;
  let base: string;
  const warnings: string[] = [];
  beforeAll(async () => {
    const ide = createGraphQLIde({
      enabled: true,
      logger: { log: (level, message) => warnings.push(`${level}: ${message}`) },
      resolvePackage: (name) => {
        if (name.startsWith('graphiql/')) throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
        return require.resolve(name);
      },
    });
    server = createServer((request, response) => {
      if (!ide(request, response, new URL(request.url ?? '/', 'http://127.0.0.1'))) response.writeHead(418).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('answers 404 with the reason for the page and its files, and says so once at start-up', async () => {
    for (const [path, headers] of [
      ['/graphql', HTML],
      ['/graphql/ide/react.production.min.js', {}],
    ] as const) {
      const response = await fetch(`${base}${path}`, { headers });
      expect(response.status).toBe(404);
      expect(await response.text()).toMatch(/GraphQL IDE is not installed.*graphiql/);
    }
    expect(warnings).toEqual(['warn: GraphQL IDE unavailable: graphiql, react or react-dom is not installed']);
  });

  it('leaves GraphQL requests to the GraphQL handler', async () => {
    expect((await fetch(`${base}/graphql`, { headers: { accept: 'application/json' } })).status).toBe(418);
  });
});

describe('GRAPHQL_IDE configuration', () => {
  it('is on by default in development, off with GRAPHQL_IDE=false or without introspection', () => {
    expect(loadConfig({}).graphqlIde).toBe(true);
    expect(loadConfig({ GRAPHQL_IDE: 'false' }).graphqlIde).toBe(false);
    expect(loadConfig({ GRAPHQL_INTROSPECTION: 'false' }).graphqlIde).toBe(false);
  });

  it('is off in production and cannot be turned on there', () => {
    const production = { NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(32), MAIL_CONFIG_KEY: Buffer.alloc(32, 1).toString('base64'), DEMO_DATA: 'false' };
    expect(loadConfig(production).graphqlIde).toBe(false);
    expect(() => loadConfig({ ...production, GRAPHQL_IDE: 'true', GRAPHQL_INTROSPECTION: 'true' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...production, GRAPHQL_IDE: 'true' })).toThrow(/GRAPHQL_IDE cannot be enabled in production/);
  });
});
