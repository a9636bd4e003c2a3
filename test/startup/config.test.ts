import { ConfigError, DEFAULT_DATABASE_TIMEOUTS, loadConfig } from '../../src/config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('configuration (API.md: one clear message per problem)', () => {
  it('defaults to the embedded SQLite file and port 4000 outside production', () => {
    const config = loadConfig({});
    expect(config.database).toEqual({ type: 'sqlite', path: 'data/mail-config.sqlite', timeouts: DEFAULT_DATABASE_TIMEOUTS });
    expect(config.port).toBe(4000);
    expect(config.demoData).toBe(true);
    expect(config.migrationsRun).toBe(true);
  });

  it('switches to MySQL with DATABASE_URL alone', () => {
    expect(loadConfig({ DATABASE_URL: 'mysql://u:p@db:3306/mail' }).database).toEqual({
      type: 'mysql',
      url: 'mysql://u:p@db:3306/mail',
      timeouts: DEFAULT_DATABASE_TIMEOUTS,
    });
    expect(loadConfig({ DATABASE_URL: 'sqlite::memory:' }).database).toEqual({ type: 'sqlite', path: ':memory:', timeouts: DEFAULT_DATABASE_TIMEOUTS });
  });

  it('bounds statements, connection waits and health checks, each from its own variable', () => {
    const { timeouts } = loadConfig({ DB_QUERY_TIMEOUT_MS: '800', DB_ACQUIRE_TIMEOUT_MS: '700', DB_CHECK_TIMEOUT_MS: '300' }).database;
    expect(timeouts).toEqual({ queryMs: 800, acquireMs: 700, checkMs: 300 });
    expect(problemsOf({ DB_QUERY_TIMEOUT_MS: '0' }).some((p) => p.startsWith('DB_QUERY_TIMEOUT_MS'))).toBe(true);
  });

  it('CONFIG_HISTORY_DAYS: a whole number of days from 1 to 36500 in plain decimal digits; anything else stops start-up naming it', () => {
    expect(loadConfig({}).history).toEqual({ days: 400 });
    expect(loadConfig({ CONFIG_HISTORY_DAYS: '1' }).history).toEqual({ days: 1 });
    expect(loadConfig({ CONFIG_HISTORY_DAYS: ' 36500 ' }).history).toEqual({ days: 36500 });
    for (const bad of ['0', '-1', '36501', '1.5', 'abc', '1e2', '0x10', '10 days', 'Infinity', '9'.repeat(400)]) {
      expect(problemsOf({ CONFIG_HISTORY_DAYS: bad })).toEqual([expect.stringMatching(/^CONFIG_HISTORY_DAYS must be a whole number from 1 to 36500/)]);
    }
  });

  it('reports every problem at once, each naming its variable', () => {
    const problems = problemsOf({
      PORT: 'abc',
      DATABASE_URL: 'postgres://x',
      AUTH_JWT_SECRET: 'short',
      MIGRATIONS_RUN: 'maybe',
      DEFAULT_SMTP_PRIMARY_URL: 'http://x',
    });
    expect(problems).toHaveLength(5);
    for (const name of ['PORT', 'DATABASE_URL', 'AUTH_JWT_SECRET', 'MIGRATIONS_RUN', 'DEFAULT_SMTP_PRIMARY_URL']) {
      expect(problems.some((p) => p.startsWith(name))).toBe(true);
    }
  });

  const key = Buffer.alloc(32, 3).toString('base64');

  it('in production requires token verification and refuses demo data', () => {
    expect(problemsOf({ NODE_ENV: 'production', MAIL_CONFIG_KEY: key })).toEqual(['In production AUTH_JWT_SECRET or AUTH_JWKS_URL must be set']);
    expect(problemsOf({ NODE_ENV: 'production', MAIL_CONFIG_KEY: key, AUTH_JWT_SECRET: 'x'.repeat(32), DEMO_DATA: 'true' })).toEqual([
      'DEMO_DATA cannot be enabled in production',
    ]);
    const production = loadConfig({ NODE_ENV: 'production', MAIL_CONFIG_KEY: key, AUTH_JWKS_URL: 'https://id.example.org/jwks' });
    expect(production.demoData).toBe(false);
    expect(production.mailSinkPort).toBeNull();
    expect(production.graphql.introspection).toBe(false);
    expect(
      loadConfig({ NODE_ENV: 'production', MAIL_CONFIG_KEY: key, AUTH_JWKS_URL: 'https://id.example.org/jwks', GRAPHQL_INTROSPECTION: 'true' }).graphql
        .introspection,
    ).toBe(true);
    expect(loadConfig({}).mailSinkPort).toBe(2525);
  });

  it('D12: in production a missing or malformed MAIL_CONFIG_KEY stops start-up', () => {
    const auth = { NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(32) };
    expect(problemsOf(auth)).toEqual([expect.stringMatching(/^In production MAIL_CONFIG_KEY must be set/)]);
    expect(problemsOf({ ...auth, MAIL_CONFIG_KEY: Buffer.alloc(16).toString('base64') })).toEqual([
      expect.stringMatching(/^MAIL_CONFIG_KEY must be the base64 encoding of exactly 32/),
    ]);
    expect(problemsOf({ ...auth, MAIL_CONFIG_KEY: key, MAIL_CONFIG_OLD_KEYS: `${key},not-a-key` })).toEqual([
      expect.stringMatching(/^MAIL_CONFIG_OLD_KEYS\[2\]/),
    ]);
  });

  it('CORS_ORIGINS: any localhost port in development, nothing in production until listed', () => {
    expect(loadConfig({}).cors.origins).toEqual(['http://localhost:*', 'http://127.0.0.1:*']);
    const production = { NODE_ENV: 'production', MAIL_CONFIG_KEY: key, AUTH_JWT_SECRET: 'x'.repeat(32) };
    expect(loadConfig(production).cors.origins).toEqual([]);
    const listed = loadConfig({ ...production, CORS_ORIGINS: ' https://admin.example.org , http://[::1]:* ' });
    expect(listed.cors.origins).toEqual(['https://admin.example.org', 'http://[::1]:*']);
  });

  it('CORS_ORIGINS: an entry that is not a bare origin is named, all of them in one problem', () => {
    const problems = problemsOf({ CORS_ORIGINS: 'https://ok.example.org,https://admin.example.org/app,*,ftp://files.example.org,http://a.example.org:*:*' });
    expect(problems).toEqual([expect.stringMatching(/^CORS_ORIGINS must list origins/)]);
    for (const bad of ['https://admin.example.org/app', '*', 'ftp://files.example.org', 'http://a.example.org:*:*']) expect(problems[0]).toContain(bad);
    expect(problems[0]).not.toContain('https://ok.example.org');
  });
});
