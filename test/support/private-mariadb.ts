import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';

/**
 * A MariaDB server of the test's own, on its own port and data directory, that a test may kill
 * (SIGKILL, like a crash or a lost host) and start again on the same data. Only loopback.
 */
export const MARIADB_INSTALL_DB = process.env.TEST_MARIADB_INSTALL_DB ?? '/usr/bin/mariadb-install-db';
export const MARIADBD = process.env.TEST_MARIADBD ?? '/usr/sbin/mariadbd';

/** Why a private MariaDB cannot be started here, or null when it can. */
export function privateMariaDbUnavailable(): string | null {
  for (const binary of [MARIADB_INSTALL_DB, MARIADBD]) {
    try {
      accessSync(binary, constants.X_OK);
    } catch {
      return `${binary} is missing or not executable`;
    }
  }
  return null;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface PrivateMariaDb {
  port: number;
  dir: string;
  /** mysql://root@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  readonly running: boolean;
  /** Kills the server with SIGKILL and waits until the process is gone. */
  kill(): Promise<void>;
  /** Starts the server again on the same data directory and port; resolves once it accepts connections. */
  start(): Promise<void>;
  /** SIGSTOP: the server hangs; the kernel still accepts connections and bytes, nothing answers (like a partition). */
  pause(): void;
  /** SIGCONT after pause(): the server goes on with whatever reached it meanwhile. */
  resume(): void;
  /** Kills the server if it runs and removes the data directory. */
  cleanup(): Promise<void>;
}

async function waitConnectable(port: number, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`mariadbd exited (${child.exitCode ?? child.signalCode}) before accepting connections:\n${tail(logFile)}`);
    }
    try {
      const connection = await createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 1000 });
      await connection.query('SELECT 1');
      await connection.end();
      return;
    } catch (error) {
      last = (error as Error).message;
      await sleep(50);
    }
  }
  throw new Error(`mariadbd on port ${port} did not accept connections within ${timeoutMs} ms (${last}):\n${tail(logFile)}`);
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function startPrivateMariaDb(options: { startTimeoutMs?: number } = {}): Promise<PrivateMariaDb> {
  const reason = privateMariaDbUnavailable();
  if (reason) throw new Error(`Cannot start a private MariaDB: ${reason}`);
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  // Short path: the socket path must fit in 108 bytes.
  const dir = mkdtempSync(join(tmpdir(), 'mcg-mdb-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'mariadbd.log');
  const install = spawnSync(
    MARIADB_INSTALL_DB,
    ['--no-defaults', `--datadir=${dataDir}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (install.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mariadb-install-db failed (${install.status ?? install.signal}): ${install.stderr || install.stdout}`);
  }
  const port = await freePort();
  let child: ChildProcess | null = null;

  const spawnServer = async () => {
    const log = openSync(logFile, 'a');
    const proc = spawn(
      MARIADBD,
      [
        '--no-defaults',
        `--datadir=${dataDir}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(dir, 'sock')}`,
        '--user=root',
        `--pid-file=${join(dir, 'pid')}`,
        '--skip-name-resolve',
        '--innodb-buffer-pool-size=32M',
        // Committed transactions reach the OS at commit, so they survive a SIGKILL of the server.
        '--innodb-flush-log-at-trx-commit=2',
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    proc.on('error', () => undefined);
    child = proc;
    await waitConnectable(port, proc, logFile, startTimeoutMs);
  };

  const kill = async () => {
    const proc = child;
    if (!proc) return;
    child = null;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await exited;
  };

  try {
    await spawnServer();
  } catch (error) {
    await kill();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    port,
    dir,
    url: (database = '') => `mysql://root@127.0.0.1:${port}/${database}`,
    get running() {
      return child !== null;
    },
    kill,
    async start() {
      if (child) return;
      await spawnServer();
    },
    pause() {
      if (!child?.kill('SIGSTOP')) throw new Error('mariadbd is not running');
    },
    resume() {
      if (!child?.kill('SIGCONT')) throw new Error('mariadbd is not running');
    },
    async cleanup() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
