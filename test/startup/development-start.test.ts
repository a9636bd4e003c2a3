import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GatewayProcess, postGraphQL, spawnGateway, supportToken, waitFor } from '../operations/helpers';
import { freePort } from '../support/private-mariadb';

const ROOT = join(__dirname, '..', '..');
const TRANSPORT = '{ smtpServers { name transport { host port } } }';

// Each case starts src/main.ts through ts-node (several seconds on a busy machine).
jest.setTimeout(120_000);

/** The banner is written just after the port starts answering. */
const banner = (gateway: GatewayProcess, text: string) =>
  waitFor('the banner', async () => (gateway.stderr().includes(text) ? gateway.stderr() : undefined), 10_000);

/** `npm run -s token -- ...` with only the given environment, as a developer would run it. */
async function npmToken(env: Record<string, string>, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('npm', ['run', '-s', 'token', '--', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
  });
  return stdout.trim();
}

/** Runs src/main.ts expecting it to fail at start-up; resolves to its exit code and output. */
function failedStart(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', HOST: '127.0.0.1', MAIL_SINK_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

function occupy(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

async function stop(gateway: GatewayProcess | null): Promise<void> {
  if (!gateway?.running) return;
  gateway.child.kill('SIGTERM');
  await gateway.exited;
}

describe('development start-up (tokens, banner, the causes of a failed start)', () => {
  let dir: string;
  let gateway: GatewayProcess | null = null;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gateway-start-'));
  });
  afterEach(async () => {
    await stop(gateway);
    gateway = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('D12: a token from npm run token reads transport with mail:credentials, names the scope without it, and survives a restart', async () => {
    const env = {
      AUTH_JWT_SECRET: '',
      AUTH_JWT_SECRET_FILE: join(dir, 'jwt-secret'),
      DATABASE_URL: `sqlite:${join(dir, 'gateway.sqlite')}`,
      DEMO_DATA: 'true',
    };
    const port = await freePort();
    gateway = await spawnGateway('first', port, env);
    expect(statSync(join(dir, 'jwt-secret')).mode & 0o777).toBe(0o600);
    const withScope = await npmToken(env, '--role', 'service', '--scope', 'mail:credentials', '--sub', 'mailer', '--hours', '8');
    const withoutScope = await npmToken(env, '--role', 'service');

    const read = await postGraphQL(gateway.url, TRANSPORT, {}, withScope);
    expect(read.errors).toBeUndefined();
    expect(read.data!.smtpServers[0].transport).toMatchObject({ host: '127.0.0.1' });
    const refused = await postGraphQL(gateway.url, TRANSPORT, {}, withoutScope);
    expect(refused.data!.smtpServers.length).toBeGreaterThan(0);
    expect(refused.errors![0]).toMatchObject({ path: ['smtpServers', 0, 'transport'], extensions: { code: 'FORBIDDEN' } });
    expect(refused.errors![0].message).toContain('requires the mail:credentials scope');

    await stop(gateway);
    gateway = await spawnGateway('restarted', port, env);
    const again = await postGraphQL(gateway.url, TRANSPORT, {}, withScope);
    expect(again.status).toBe(200);
    expect(again.data!.smtpServers[0].transport).toMatchObject({ host: '127.0.0.1' });
  });

  it('prints the banner (tokens, the token command) on stderr only; stdout carries JSON log lines alone', async () => {
    const env = {
      AUTH_JWT_SECRET: '',
      AUTH_JWT_SECRET_FILE: join(dir, 'jwt-secret'),
      DATABASE_URL: `sqlite:${join(dir, 'gateway.sqlite')}`,
      DEMO_DATA: 'true',
    };
    gateway = await spawnGateway('banner', await freePort(), env);
    await banner(gateway, 'Try:');
    expect(gateway.stderr()).toContain('listening on');
    expect(gateway.stderr()).toMatch(/service \(scope mail:credentials\): eyJ/);
    expect(gateway.stderr()).toMatch(/library-admin of library 1: eyJ/);
    expect(gateway.stderr()).toContain('npm run -s token -- --role service --scope mail:credentials');
    const lines = gateway.stdout().split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('refuses npm run token when AUTH_JWKS_URL is configured: the provider issues tokens', async () => {
    await expect(npmToken({ AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks.json' }, '--role', 'support')).rejects.toMatchObject({
      stderr: expect.stringContaining('AUTH_JWKS_URL is configured'),
    });
  });

  it('names DATABASE_URL, with the password masked, when the database cannot be reached', async () => {
    const port = await freePort();
    const result = await failedStart({
      PORT: String(await freePort()),
      AUTH_JWT_SECRET_FILE: join(dir, 'jwt'),
      DATABASE_URL: `mysql://root:s3cret-pw@127.0.0.1:${port}/test`,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `Start-up failed: cannot reach the database at DATABASE_URL=mysql://root:***@127.0.0.1:${port}/test (connect ECONNREFUSED 127.0.0.1:${port})`,
    );
    expect(result.stderr + result.stdout).not.toContain('s3cret-pw');
  });

  it('names PORT when the port is taken, before any migration ran', async () => {
    const taken = await occupy();
    try {
      const database = join(dir, 'gateway.sqlite');
      const result = await failedStart({ PORT: String(taken.port), AUTH_JWT_SECRET_FILE: join(dir, 'jwt'), DATABASE_URL: `sqlite:${database}` });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`Start-up failed: PORT ${taken.port} is already in use`);
      expect(existsSync(database)).toBe(false);
    } finally {
      taken.server.close();
    }
  });

  it('moves the mail sink to a free port when MAIL_SINK_PORT is taken, says so, and the demo delivers there', async () => {
    const taken = await occupy();
    try {
      gateway = await spawnGateway('sink', await freePort(), {
        DATABASE_URL: `sqlite:${join(dir, 'gateway.sqlite')}`,
        DEMO_DATA: 'true',
        MAIL_SINK_PORT: String(taken.port),
      });
      const { value: stderr } = await banner(gateway, '/dev/mailbox');
      const moved = new RegExp(`MAIL_SINK_PORT ${taken.port} is in use, so the mail sink listens on 127\\.0\\.0\\.1:(\\d+)`).exec(stderr);
      expect(moved).not.toBeNull();
      expect(Number(moved![1])).not.toBe(taken.port);
      const sent = await postGraphQL(
        gateway.url,
        'mutation { sendTestMail(input: { libraryId: 1, to: "reader@example.org" }) { ok } }',
        {},
        await supportToken(),
      );
      expect(sent.data).toEqual({ sendTestMail: { ok: true } });
      const mailbox = (await (await fetch(`${gateway.url}/dev/mailbox`)).json()) as unknown[];
      expect(mailbox).toHaveLength(1);
    } finally {
      taken.server.close();
    }
  });
});
