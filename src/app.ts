import { Server } from 'node:http';
import { DataSource } from 'typeorm';
import { bootstrap, BootstrapOutcome } from './bootstrap/bootstrap';
import { bounded } from './common/bounded';
import { jsonLogger, Logger } from './common/logger';
import { AppConfig, DatabaseConfig } from './config';
import { createServices, Services } from './context';
import { createDataSource } from './database/data-source';
import { StatementCounter } from './database/statement-counter';
import { HealthMonitor } from './health/health-monitor';
import { Metrics } from './observability/metrics';
import { createSecretBox } from './secrets/key-store';
import { reservePort } from './http/reserve-port';
import { ShutdownTimings } from './http/shutdown';
import { createGateway, Gateway } from './server';

/** On a hung database (a stopped server, a partition) destroy() waits for its connections. */
const DATABASE_CLOSE_MS = 1_500;

/** What a caller may replace; everything else is built from the configuration. */
export interface AppOverrides {
  logger?: Logger;
  statementCounter?: StatementCounter;
  metrics?: Metrics;
  /** Adds the standard process metrics (event loop, heap, GC) to /metrics; one per process. */
  processMetrics?: boolean;
  /** Outside production: what the development mail sink received, served at GET /dev/mailbox. */
  mailbox?: () => unknown[];
  /** How long shutdown waits for keep-alive requests, uploads and in-flight answers. */
  shutdown?: ShutdownTimings;
}

export interface App {
  readonly config: AppConfig;
  readonly dataSource: DataSource;
  readonly services: Services;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly counter: StatementCounter;
  /** Binds the HTTP port (503 until listen()), so a taken PORT fails start-up before the database is touched. */
  bind(port?: number, host?: string): Promise<void>;
  /** Scheduled SMTP checks; started by listen(), stopped by close(). */
  readonly monitor: HealthMonitor;
  /** Connects to the database and applies pending migrations when the configuration says so. */
  open(): Promise<void>;
  /** D2: seeds an empty database with the default servers or, outside production, the demo. */
  bootstrap(demo?: (services: Services) => Promise<void>): Promise<BootstrapOutcome>;
  /** Loads the configuration snapshot (when on) and serves HTTP; resolves to the base URL. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops polling, drains HTTP, closes the database. Safe to call more than once. */
  close(): Promise<void>;
}

/** DATABASE_URL as it may be shown: the password masked. */
export function describeDatabase(database: DatabaseConfig): string {
  if (database.type === 'sqlite') return `sqlite:${database.path}`;
  try {
    const url = new URL(database.url);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'mysql://(unparsable)';
  }
}

function maskPassword(database: DatabaseConfig, text: string): string {
  if (database.type !== 'mysql') return text;
  try {
    const password = decodeURIComponent(new URL(database.url).password);
    return password ? text.split(password).join('***') : text;
  } catch {
    return text;
  }
}

/** Connects, naming DATABASE_URL (password masked) when that fails: the driver's message alone does not say what it tried. */
async function connect(dataSource: DataSource, database: DatabaseConfig): Promise<void> {
  try {
    await dataSource.initialize();
  } catch (error) {
    const what = database.type === 'sqlite' ? 'open' : 'reach';
    const reason = maskPassword(database, (error as Error).message);
    throw new Error(`cannot ${what} the database at DATABASE_URL=${describeDatabase(database)} (${reason})`, { cause: error });
  }
}

/** Loads the configuration snapshot (when on) and starts polling for other instances' writes. */
async function startSnapshots(services: Services, config: AppConfig, logger: Logger): Promise<void> {
  if (!services.snapshots) return;
  const snapshot = await services.snapshots.reload();
  logger.log('info', 'configuration snapshot loaded', { revision: snapshot.revision, ...snapshot.size });
  services.snapshots.start(config.cache.refreshMs);
}

async function openDatabase(dataSource: DataSource, config: AppConfig, logger: Logger): Promise<void> {
  await connect(dataSource, config.database);
  if (!config.migrationsRun) return;
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  if (applied.length > 0) logger.log('info', 'applied migrations', { migrations: applied.map((m) => m.name) });
}

/**
 * The one place that wires the gateway: configuration → database → services → snapshot → HTTP.
 * main.ts, every test setup and the scripts build on it, so a new service is added here only.
 */
export function createApp(config: AppConfig, overrides: AppOverrides = {}): App {
  const logger = overrides.logger ?? jsonLogger();
  const counter = overrides.statementCounter ?? new StatementCounter((message) => logger.log('warn', message));
  const metrics = overrides.metrics ?? new Metrics({ sqlStatements: () => counter.count, processMetrics: overrides.processMetrics });
  const dataSource = createDataSource(config.database, counter);
  const secrets = createSecretBox(config.secrets, config.production);
  const services = createServices(dataSource, secrets, config, logger, metrics);
  const monitor = new HealthMonitor(config.probes, { dataSource, store: services.health, ...services, metrics, logger });
  let gateway: Gateway | null = null;
  let reserved: Server | null = null;
  let closing: Promise<void> | null = null;

  async function shutDown(): Promise<void> {
    services.snapshots?.stop();
    await bounded(logger, 'health monitor stop', monitor.stop(), DATABASE_CLOSE_MS);
    await bounded(logger, 'history pruning stop', services.historyPruner.stop(), DATABASE_CLOSE_MS);
    await gateway?.stop();
    services.mailConfigChanges.close();
    if (!gateway && reserved) await new Promise((resolve) => reserved!.close(resolve));
    if (dataSource.isInitialized) await bounded(logger, 'database close', dataSource.destroy(), DATABASE_CLOSE_MS);
  }

  return {
    config,
    dataSource,
    services,
    metrics,
    logger,
    counter,
    async bind(port = config.port, host = config.host) {
      reserved ??= await reservePort(port, host);
    },
    monitor,
    open: () => openDatabase(dataSource, config, logger),
    bootstrap(demo) {
      return bootstrap(dataSource, services, config, logger, demo);
    },
    async listen(port = config.port, host = config.host) {
      await startSnapshots(services, config, logger);
      await services.health.refresh();
      monitor.start();
      services.historyPruner.start();
      gateway = await createGateway({
        config,
        dataSource,
        services,
        logger,
        metrics,
        mailbox: overrides.mailbox,
        shutdown: overrides.shutdown,
        httpServer: reserved ?? undefined,
        etagKey: secrets.derive('mail-config-gateway http etag'),
      });
      return gateway.listen(port, host);
    },
    close() {
      return (closing ??= shutDown());
    },
  };
}
