import { randomBytes } from 'node:crypto';
import { CREATE_DEPARTMENT, CREATE_LIBRARY, CREATE_SMTP_SERVER, SET_SETTING, UPDATE_SMTP_SERVER } from './documents';
import { TestGateway } from './gateway';

/**
 * Records created through the real API with defaults that pass validation; every default can be
 * overridden. A test that checks what a create returns passes its own `document`; a test that
 * keeps every response body (to look for secrets in it) passes its own recording client.
 */

export type GraphQLClient = Pick<TestGateway, 'ok'>;
type Input = Record<string, unknown>;

export interface FixtureOptions {
  /** Bearer token; support when left out, anonymous when null. */
  token?: string | null;
  /** The document to send instead of the default one (same operation, other fields). */
  document?: string;
}

export interface ServerRecord {
  id: string;
  name: string;
  host: string;
  port: number;
  username: string | null;
  hasPassword: boolean;
  hasTlsCa: boolean;
  tlsCaSubject: string | null;
  allowTls: boolean;
  allowSsl: boolean;
  requiresAuth: boolean;
  connectionTimeoutMs: number;
  timeoutMs: number;
  notices: string[];
  version: number;
}
export interface LibraryRecord {
  id: string;
  code: string;
  name: string;
  shortName: string | null;
  contactEmail: string | null;
  version: number;
}
export interface DepartmentRecord {
  id: string;
  name: string;
  email: string | null;
  version: number;
}

let sequence = 0;
/**
 * A value no other test uses (codes, names). Letters, digits and "_" only, so it is a valid
 * library code and, with an upper-case prefix, a valid setting key.
 */
export function unique(prefix: string): string {
  sequence += 1;
  return `${prefix}_${sequence}_${randomBytes(3).toString('hex').toUpperCase()}`;
}

export function serverInput(overrides: Input = {}): Input {
  return { name: unique('Server'), host: 'smtp.example.org', port: 587, ...overrides };
}

export async function createServer<T = ServerRecord>(client: GraphQLClient, overrides: Input = {}, options: FixtureOptions = {}): Promise<T> {
  const data = await client.ok<{ createSmtpServer: T }>(options.document ?? CREATE_SMTP_SERVER, { input: serverInput(overrides) }, options.token);
  return data.createSmtpServer;
}

/**
 * Servers linked in the given order (each one's next server is the following one), created last
 * first so each can name its successor; returns them in chain order.
 */
export async function createChain<T extends { id: string } = ServerRecord>(client: GraphQLClient, inputs: Input[], options: FixtureOptions = {}): Promise<T[]> {
  const rows: T[] = [];
  let nextServerId: string | null = null;
  for (const input of [...inputs].reverse()) {
    const row: T = await createServer<T>(client, { ...input, nextServerId }, options);
    rows.unshift(row);
    nextServerId = row.id;
  }
  return rows;
}

export async function updateServer<T = ServerRecord>(
  client: GraphQLClient,
  id: string,
  input: Input,
  options: FixtureOptions & { expectedVersion?: number } = {},
): Promise<T> {
  const variables = { id, input, expectedVersion: options.expectedVersion };
  return (await client.ok<{ updateSmtpServer: T }>(options.document ?? UPDATE_SMTP_SERVER, variables, options.token)).updateSmtpServer;
}

export function libraryInput(overrides: Input = {}): Input {
  const code = overrides.code ?? unique('LIB');
  return { code, name: `Library ${code}`, ...overrides };
}

export async function createLibrary<T = LibraryRecord>(client: GraphQLClient, overrides: Input = {}, options: FixtureOptions = {}): Promise<T> {
  const data = await client.ok<{ createLibrary: T }>(options.document ?? CREATE_LIBRARY, { input: libraryInput(overrides) }, options.token);
  return data.createLibrary;
}

export async function createDepartment<T = DepartmentRecord>(
  client: GraphQLClient,
  libraryId: string,
  overrides: Input = {},
  options: FixtureOptions = {},
): Promise<T> {
  const input = { libraryId, name: unique('Department'), ...overrides };
  return (await client.ok<{ createDepartment: T }>(options.document ?? CREATE_DEPARTMENT, { input }, options.token)).createDepartment;
}

export async function setSetting<T = { id: string; key: string; scope: string; value: string | null }>(
  client: GraphQLClient,
  input: Input,
  options: FixtureOptions = {},
): Promise<T> {
  return (await client.ok<{ setSetting: T }>(options.document ?? SET_SETTING, { input }, options.token)).setSetting;
}
