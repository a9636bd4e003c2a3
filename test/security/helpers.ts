import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { SMTPServer } from 'smtp-server';
import { TestGateway } from '../support/gateway';

/**
 * Shared helpers of the security tests (R2, D10, D12). Everything runs through the real HTTP API
 * unless a helper says it reads the database directly.
 */

export const TRANSPORT_FIELDS = 'host port secure requireTLS ignoreTLS connectionTimeout greetingTimeout socketTimeout auth { user pass } tlsCaPem';

/** A random string that occurs nowhere by chance (letters and digits only, so no escaping changes it). */
export function canary(label = 'CANARY'): string {
  return `${label}${randomBytes(12).toString('hex')}Zq`;
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The raw (encrypted) password column of one server, read with SQL. */
export async function rawPassword(gw: TestGateway, id: string | number): Promise<string | null> {
  const rows: Array<{ password: string | null }> = await gw.dataSource.query('SELECT password FROM smtp_server WHERE id = ?', [Number(id)]);
  return rows[0]?.password ?? null;
}

export async function tableNames(gw: TestGateway): Promise<string[]> {
  if (gw.kind === 'sqlite') {
    const rows: Array<{ name: string }> = await gw.dataSource.query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`);
    return rows.map((r) => r.name);
  }
  const rows: Array<{ name: string }> = await gw.dataSource.query(
    'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME',
  );
  return rows.map((r) => r.name);
}

async function columnNames(gw: TestGateway, table: string): Promise<string[]> {
  if (gw.kind === 'sqlite') {
    const rows: Array<{ name: string }> = await gw.dataSource.query(`SELECT name FROM pragma_table_info(?)`, [table]);
    return rows.map((r) => r.name);
  }
  const rows: Array<{ name: string }> = await gw.dataSource.query(
    'SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
    [table],
  );
  return rows.map((r) => r.name);
}

/**
 * Every column of every table (sqlite_master / information_schema included for SQLite), each
 * value cast to text by the database itself. Returns one line per row: "table: v1 | v2 | ...".
 */
export async function dumpDatabaseAsText(gw: TestGateway): Promise<string[]> {
  const lines: string[] = [];
  const tables = await tableNames(gw);
  if (gw.kind === 'sqlite') tables.push('sqlite_master');
  for (const table of tables) {
    const columns = await columnNames(gw, table);
    if (columns.length === 0) continue;
    const quote = (name: string) => (gw.kind === 'sqlite' ? `"${name}"` : `\`${name}\``);
    const cast = (name: string) => (gw.kind === 'sqlite' ? `CAST(${quote(name)} AS TEXT)` : `CAST(${quote(name)} AS CHAR)`);
    const select = columns.map((c, i) => `${cast(c)} AS c${i}`).join(', ');
    const rows: Array<Record<string, unknown>> = await gw.dataSource.query(`SELECT ${select} FROM ${quote(table)}`);
    for (const row of rows) lines.push(`${table}: ${columns.map((_c, i) => String(row[`c${i}`])).join(' | ')}`);
  }
  return lines;
}

export function errorCodes(result: { errors?: Array<{ extensions?: Record<string, any> }> }): string[] {
  return (result.errors ?? []).map((e) => String(e.extensions?.code));
}

export interface Sink {
  port: number;
  logins: Array<{ username: string; password: string; accepted: boolean }>;
  messages: Array<{ user: unknown; mailFrom: string; rcptTo: string[]; raw: string }>;
  close(): Promise<void>;
}

/**
 * A loopback SMTP server that requires AUTH (PLAIN/LOGIN) with exactly these credentials. With
 * `echo`, a refused login is answered with the credentials it received (plain and base64), as a
 * careless or hostile server might.
 */
export async function startAuthSink(username: string, password: string, options: { echo?: boolean } = {}): Promise<Sink> {
  const logins: Sink['logins'] = [];
  const messages: Sink['messages'] = [];
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    // closing must not wait for clients that left a connection open after a refused login
    closeTimeout: 200,
    socketTimeout: 5000,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: false,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, callback) {
      const accepted = auth.username === username && auth.password === password;
      logins.push({ username: auth.username ?? '', password: auth.password ?? '', accepted });
      if (accepted) callback(null, { user: auth.username });
      else if (options.echo) {
        const got = `${auth.username}:${auth.password} (${Buffer.from(auth.password ?? '').toString('base64')})`;
        callback(Object.assign(new Error(`Authentication failed for ${got}`), { responseCode: 535 }));
      } else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        messages.push({
          user: session.user,
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback(null);
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as { port: number };
  return { port, logins, messages, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
