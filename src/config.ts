import { Resolver } from 'node:dns';
import type { LogLevel } from './common/logger';
import { CorsConfig, DEVELOPMENT_CORS_ORIGINS, parseOriginPattern } from './http/cors';
import { parseKey } from './secrets/secret-box';

/**
 * Every environment variable the gateway reads, parsed and validated once at start-up.
 * Nothing else in the code reads process.env.
 */
export type DatabaseConfig = ({ type: 'sqlite'; path: string } | { type: 'mysql'; url: string }) & { timeouts?: DatabaseTimeouts };

/** Bounds on waiting for a hung database (MySQL/MariaDB; SQLite is embedded and synchronous). */
export interface DatabaseTimeouts {
  /** DB_QUERY_TIMEOUT_MS: a statement not answered by then has its connection destroyed. */
  queryMs: number;
  /** DB_ACQUIRE_TIMEOUT_MS: waiting for a pooled connection, and connecting a new one. */
  acquireMs: number;
  /** DB_CHECK_TIMEOUT_MS: the snapshot's revision check and /readyz's probe. */
  checkMs: number;
}

export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = { queryMs: 5000, acquireMs: 5000, checkMs: 1000 };

export interface AuthConfig {
  jwtSecret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** True when the secret was generated at start-up because nothing was configured (dev only). */
  generated: boolean;
  /** AUTH_JWT_SECRET_FILE: where the development secret is kept, so tokens survive restarts. */
  devSecretFile: string;
}

export interface SecretsConfig {
  /** Base64 of 32 bytes; outside production a key file is generated when unset. */
  key?: string;
  oldKeys: string[];
  /** Where the generated development key lives. */
  devKeyFile: string;
}

export interface AppConfig {
  production: boolean;
  host: string;
  secrets: SecretsConfig;
  port: number;
  database: DatabaseConfig;
  auth: AuthConfig;
  migrationsRun: boolean;
  demoData: boolean;
  defaultPrimaryUrl?: string;
  defaultSecondaryUrl?: string;
  testMailRatePerMinute: number;
  graphql: GraphQLLimits;
  /** GraphiQL at GET /graphql for browsers; outside production and only with introspection. */
  graphqlIde: boolean;
  queryCost: QueryCostConfig;
  /** The local SMTP sink the demo servers deliver to; null in production or when disabled. */
  mailSinkPort: number | null;
  dns: DnsConfig;
  dnsLimits: DnsLimitsConfig;
  /** DNS servers SMTP host names are resolved with ('ip' or 'ip:port'); none = the system resolver. */
  smtpDnsServers: string[];
  cache: CacheConfig;
  logLevel: LogLevel;
  memory: MemoryConfig;
  cors: CorsConfig;
  probes: ProbeConfig;
  history: HistoryConfig;
}

/** The configuration's change log: how far back `at` can reach. */
export interface HistoryConfig {
  /** CONFIG_HISTORY_DAYS: row images older than this are pruned (the audit entries stay). */
  days: number;
}

/** Scheduled checks of every SMTP server (connect, greet, TLS, login, quit). */
export interface ProbeConfig {
  /** Between two rounds, before jitter; 0 turns probing (and the deliverability pass) off. */
  intervalMs: number;
  /** Servers checked at the same time within one round. */
  concurrency: number;
}

/** Byte bounds of the in-memory caches, so memory does not depend on the shape of traffic. */
export interface MemoryConfig {
  responseCacheBytes: number;
  /** Answers larger than this are not cached. */
  responseCacheEntryBytes: number;
  /** Estimated heap of the parsed documents Apollo keeps. */
  documentCacheBytes: number;
  /** Query texts kept for automatic persisted queries. */
  persistedQueryBytes: number;
}

export interface CacheConfig {
  /** Resolve from an in-memory snapshot of the configuration (the default). */
  enabled: boolean;
  /** How often to check whether another instance wrote; 0 = only after own writes. */
  refreshMs: number;
}

export interface DnsConfig {
  /** 'ip', 'ip:port' or '[ipv6]:port'; none = the system's resolvers. */
  servers: string[];
  timeoutMs: number;
  cacheSeconds: number;
}

/** What one caller can make the deliverability checks send to DNS (cache hits are free). */
export interface DnsLimitsConfig {
  /** DNS queries one GraphQL request may send, over all its checks. */
  lookupsPerRequest: number;
  /** DNS queries one identity (token subject) may send per minute, over all its requests. */
  lookupsPerMinute: number;
}

export interface GraphQLLimits {
  introspection: boolean;
  maxDepth: number;
  maxAliases: number;
  maxFields: number;
  maxBodyBytes: number;
  /** Lexical tokens a document may have; the parser stops there (graphql-js `maxTokens`). */
  maxTokens: number;
}

export interface QueryCostConfig {
  /** Field values an operation may produce, estimated before it runs. */
  maxCost: number;
  /** The largest answer sent; beyond it the client gets RESPONSE_TOO_LARGE. */
  maxResponseBytes: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type Env = Record<string, string | undefined>;

function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function parseBoolean(env: Env, name: string, fallback: boolean, problems: string[]): boolean {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  problems.push(`${name} must be true or false, got "${raw}"`);
  return fallback;
}

function parseInteger(env: Env, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  // Plain decimal digits only: Number() would also take "1e2", "0x10" or "0b1" as some other number than the one meant.
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    problems.push(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
    return fallback;
  }
  return value;
}

function parseLogLevel(raw: string | undefined, problems: string[]): LogLevel {
  const levels: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  if (raw === undefined) return 'info';
  if (levels.includes(raw as LogLevel)) return raw as LogLevel;
  problems.push(`LOG_LEVEL must be one of ${levels.join(', ')}, got "${raw}"`);
  return 'info';
}

function parseDnsServers(raw: string | undefined, problems: string[], name = 'DNS_SERVERS'): string[] {
  const servers = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  try {
    if (servers.length > 0) new Resolver().setServers(servers);
  } catch {
    problems.push(`${name} must be a comma-separated list of IP addresses with optional ports (e.g. 127.0.0.1:5353), got "${raw}"`);
  }
  return servers;
}

export function parseDatabaseUrl(raw: string | undefined, problems: string[]): DatabaseConfig {
  const url = raw ?? 'sqlite:data/mail-config.sqlite';
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!path) problems.push('DATABASE_URL "sqlite:" needs a path, e.g. sqlite:data/mail-config.sqlite or sqlite::memory:');
    return { type: 'sqlite', path };
  }
  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) {
    try {
      const parsed = new URL(url.replace(/^mariadb:/, 'mysql:'));
      if (!parsed.pathname || parsed.pathname === '/') problems.push('DATABASE_URL must name a database, e.g. mysql://user:pass@host:3306/mail');
      return { type: 'mysql', url: parsed.toString() };
    } catch {
      problems.push('DATABASE_URL is not a valid mysql:// URL');
      return { type: 'mysql', url };
    }
  }
  problems.push('DATABASE_URL must start with mysql:// or sqlite:');
  return { type: 'sqlite', path: '' };
}

export function validateSmtpUrl(name: string, raw: string | undefined, problems: string[]): string | undefined {
  if (raw === undefined) return undefined;
  try {
    const parsed = new URL(raw);
    if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
      problems.push(`${name} must use smtp:// or smtps://`);
    } else if (!parsed.hostname) {
      problems.push(`${name} must name a host`);
    }
  } catch {
    problems.push(`${name} is not a valid URL (expected e.g. smtp://user:pass@host:587?starttls=true)`);
  }
  return raw;
}

function parseDatabase(env: Env, problems: string[]): DatabaseConfig {
  const database = parseDatabaseUrl(nonEmpty(env, 'DATABASE_URL'), problems);
  database.timeouts = {
    queryMs: parseInteger(env, 'DB_QUERY_TIMEOUT_MS', DEFAULT_DATABASE_TIMEOUTS.queryMs, 100, 600_000, problems),
    acquireMs: parseInteger(env, 'DB_ACQUIRE_TIMEOUT_MS', DEFAULT_DATABASE_TIMEOUTS.acquireMs, 100, 600_000, problems),
    // /readyz promises an answer within 2 s, and its probe waits at most this long.
    checkMs: parseInteger(env, 'DB_CHECK_TIMEOUT_MS', DEFAULT_DATABASE_TIMEOUTS.checkMs, 50, 1500, problems),
  };
  return database;
}

function parseAuth(env: Env, production: boolean, problems: string[]): AuthConfig {
  const jwtSecret = nonEmpty(env, 'AUTH_JWT_SECRET');
  const jwksUrl = nonEmpty(env, 'AUTH_JWKS_URL');
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret) < 32) problems.push('AUTH_JWT_SECRET must be at least 32 bytes long');
  if (jwksUrl !== undefined) {
    try {
      const parsed = new URL(jwksUrl);
      if (!/^https?:$/.test(parsed.protocol)) problems.push('AUTH_JWKS_URL must be an http(s) URL');
    } catch {
      problems.push('AUTH_JWKS_URL is not a valid URL');
    }
  }
  if (production && !jwtSecret && !jwksUrl) problems.push('In production AUTH_JWT_SECRET or AUTH_JWKS_URL must be set');
  const devSecretFile = nonEmpty(env, 'AUTH_JWT_SECRET_FILE') ?? 'data/jwt-secret';
  return { jwtSecret, jwksUrl, issuer: nonEmpty(env, 'AUTH_ISSUER'), audience: nonEmpty(env, 'AUTH_AUDIENCE'), generated: false, devSecretFile };
}

function parseSecrets(env: Env, production: boolean, problems: string[]): AppConfig['secrets'] {
  const key = nonEmpty(env, 'MAIL_CONFIG_KEY');
  const oldKeys = (nonEmpty(env, 'MAIL_CONFIG_OLD_KEYS') ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  for (const [name, value] of [['MAIL_CONFIG_KEY', key], ...oldKeys.map((k, i) => [`MAIL_CONFIG_OLD_KEYS[${i + 1}]`, k])] as const) {
    if (value === undefined) continue;
    try {
      parseKey(name, value);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (production && key === undefined) problems.push('In production MAIL_CONFIG_KEY must be set (base64 of 32 random bytes) to encrypt SMTP passwords');
  return { key, oldKeys, devKeyFile: nonEmpty(env, 'MAIL_CONFIG_KEY_FILE') ?? 'data/mail-config.key' };
}

/** What one request may cost: its shape, its size, its answer, and the memory the caches keep. */
function parseRequestLimits(env: Env, production: boolean, problems: string[]): Pick<AppConfig, 'graphql' | 'queryCost' | 'memory'> {
  return {
    graphql: {
      introspection: parseBoolean(env, 'GRAPHQL_INTROSPECTION', !production, problems),
      maxDepth: parseInteger(env, 'GRAPHQL_MAX_DEPTH', 12, 2, 100, problems),
      maxAliases: parseInteger(env, 'GRAPHQL_MAX_ALIASES', 30, 0, 1000, problems),
      maxFields: parseInteger(env, 'GRAPHQL_MAX_FIELDS', 500, 10, 100_000, problems),
      maxBodyBytes: parseInteger(env, 'GRAPHQL_MAX_BODY_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024, problems),
      // The heaviest real query has about 500 tokens and the introspection query under 200.
      maxTokens: parseInteger(env, 'GRAPHQL_MAX_TOKENS', 20_000, 200, 1_000_000, problems),
    },
    queryCost: {
      maxCost: parseInteger(env, 'GRAPHQL_MAX_COST', 1_000_000, 1, 1_000_000_000_000, problems),
      maxResponseBytes: parseInteger(env, 'GRAPHQL_MAX_RESPONSE_BYTES', 64 * 1024 * 1024, 1024, 512 * 1024 * 1024, problems),
    },
    memory: {
      responseCacheBytes: parseInteger(env, 'RESPONSE_CACHE_MAX_BYTES', 32 * 2 ** 20, 0, 2 ** 40, problems),
      responseCacheEntryBytes: parseInteger(env, 'RESPONSE_CACHE_MAX_ENTRY_BYTES', 8 * 2 ** 20, 0, 2 ** 40, problems),
      documentCacheBytes: parseInteger(env, 'GRAPHQL_DOCUMENT_CACHE_BYTES', 16 * 2 ** 20, 0, 2 ** 40, problems),
      persistedQueryBytes: parseInteger(env, 'GRAPHQL_PERSISTED_QUERY_CACHE_BYTES', 4 * 2 ** 20, 0, 2 ** 40, problems),
    },
  };
}

function parseDns(env: Env, problems: string[]): Pick<AppConfig, 'dns' | 'dnsLimits' | 'smtpDnsServers'> {
  return {
    dns: {
      servers: parseDnsServers(nonEmpty(env, 'DNS_SERVERS'), problems),
      timeoutMs: parseInteger(env, 'DNS_TIMEOUT_MS', 3000, 50, 60_000, problems),
      cacheSeconds: parseInteger(env, 'DELIVERABILITY_CACHE_SECONDS', 300, 0, 86_400, problems),
    },
    dnsLimits: {
      lookupsPerRequest: parseInteger(env, 'DNS_LOOKUPS_PER_REQUEST', 200, 1, 100_000, problems),
      lookupsPerMinute: parseInteger(env, 'DNS_LOOKUPS_PER_MINUTE', 2000, 1, 1_000_000, problems),
    },
    smtpDnsServers: parseDnsServers(nonEmpty(env, 'SMTP_DNS_SERVERS'), problems, 'SMTP_DNS_SERVERS'),
  };
}

/** CORS_ORIGINS replaces the default; in production no browser origin is allowed until listed. */
function parseCors(env: Env, production: boolean, problems: string[]): CorsConfig {
  const raw = nonEmpty(env, 'CORS_ORIGINS');
  if (raw === undefined) return { origins: production ? [] : [...DEVELOPMENT_CORS_ORIGINS] };
  const origins = raw
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  const invalid = origins.filter((o) => parseOriginPattern(o) === null);
  if (invalid.length > 0) {
    problems.push(`CORS_ORIGINS must list origins such as https://admin.example.org or http://localhost:* (any port); not an origin: ${invalid.join(', ')}`);
  }
  return { origins };
}

/** Every variable parsed and checked at once, so a start-up names all its problems together. */
export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const production = env.NODE_ENV === 'production';
  const portRaw = nonEmpty(env, 'PORT') ?? '4000';
  const port = Number(portRaw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`PORT must be a port number, got "${portRaw}"`);
  const config: AppConfig = {
    production,
    host: nonEmpty(env, 'HOST') ?? '127.0.0.1',
    secrets: parseSecrets(env, production, problems),
    port,
    database: parseDatabase(env, problems),
    auth: parseAuth(env, production, problems),
    migrationsRun: parseBoolean(env, 'MIGRATIONS_RUN', true, problems),
    demoData: parseBoolean(env, 'DEMO_DATA', !production, problems),
    defaultPrimaryUrl: validateSmtpUrl('DEFAULT_SMTP_PRIMARY_URL', nonEmpty(env, 'DEFAULT_SMTP_PRIMARY_URL'), problems),
    defaultSecondaryUrl: validateSmtpUrl('DEFAULT_SMTP_SECONDARY_URL', nonEmpty(env, 'DEFAULT_SMTP_SECONDARY_URL'), problems),
    testMailRatePerMinute: parseInteger(env, 'TEST_MAIL_RATE_PER_MINUTE', 10, 1, 10_000, problems),
    ...parseRequestLimits(env, production, problems),
    graphqlIde: parseBoolean(env, 'GRAPHQL_IDE', !production, problems),
    mailSinkPort: production ? null : parseInteger(env, 'MAIL_SINK_PORT', 2525, 0, 65535, problems) || null,
    ...parseDns(env, problems),
    logLevel: parseLogLevel(nonEmpty(env, 'LOG_LEVEL'), problems),
    cache: {
      enabled: parseBoolean(env, 'CONFIG_CACHE', true, problems),
      refreshMs: parseInteger(env, 'CONFIG_REFRESH_MS', 1000, 0, 3_600_000, problems),
    },
    cors: parseCors(env, production, problems),
    probes: {
      intervalMs: parseInteger(env, 'SMTP_PROBE_INTERVAL_S', 300, 0, 86_400, problems) * 1000,
      concurrency: parseInteger(env, 'SMTP_PROBE_CONCURRENCY', 4, 1, 64, problems),
    },
    history: { days: parseInteger(env, 'CONFIG_HISTORY_DAYS', 400, 1, 36_500, problems) },
  };
  if (config.defaultSecondaryUrl && !config.defaultPrimaryUrl) {
    problems.push('DEFAULT_SMTP_SECONDARY_URL needs DEFAULT_SMTP_PRIMARY_URL');
  }
  if (production && config.demoData) problems.push('DEMO_DATA cannot be enabled in production');
  if (production && config.graphqlIde) problems.push('GRAPHQL_IDE cannot be enabled in production');
  // The IDE reads the schema by introspection: without it there is no IDE.
  config.graphqlIde &&= config.graphql.introspection;

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
