import { DataSource } from 'typeorm';
import { lazy } from './common/lazy';
import { ConfigSnapshot } from './snapshot/config-snapshot';
import type { Loaders } from './loaders.type';
import { snapshotLoaders } from './snapshot/snapshot-loaders';
import { AuditService } from './audit/audit.service';
import { AuthContext } from './auth/access';
import { Identity } from './auth/identity';
import { WriteRunner } from './database/transaction';
import { createDepartmentLoaders } from './department/department.loaders';
import { DepartmentService } from './department/department.service';
import { createLibraryLoaders } from './library/library.loaders';
import { LibraryService } from './library/library.service';
import { Logger } from './common/logger';
import { createRateLimiter } from './common/rate-limiter';
import { AppConfig } from './config';
import { DeliverabilityService } from './mail/deliverability/deliverability.service';
import type { DnsBudget } from './mail/deliverability/dns-budget';
import { MailConfigService } from './mail/mail-config.service';
import { RevertService } from './history/revert.service';
import { HealthStore } from './health/health.store';
import { HistoryPruner } from './history/history-pruner';
import { HistoryService } from './history/history.service';
import { MailHealthService } from './health/mail-health.service';
import { TestMailService } from './mail/test-mail.service';
import { dnsServerLookup, systemLookup } from './mail/transport/resolve-destination';
import { createSettingsLoaders } from './settings/settings.loaders';
import { SettingsService } from './settings/settings.service';
import { createSmtpServerLoaders } from './smtp-server/smtp-server.loaders';
import { SecretBox } from './secrets/secret-box';
import { Metrics } from './observability/metrics';
import { readRevision, SnapshotStore } from './snapshot/snapshot-store';
import type { CacheMark } from './performance/response-cache';
import { SmtpServerService } from './smtp-server/smtp-server.service';
import { PollingFeed, SnapshotFeed } from './subscriptions/change-feed';
import { MailConfigHub } from './subscriptions/mail-config-hub';

export type ServiceConfig = Pick<AppConfig, 'testMailRatePerMinute' | 'dns' | 'dnsLimits' | 'cache' | 'history'> & Partial<Pick<AppConfig, 'smtpDnsServers'>>;

export function createServices(dataSource: DataSource, secrets: SecretBox, config: ServiceConfig, logger: Logger, metrics = new Metrics()) {
  const snapshots = config.cache.enabled
    ? new SnapshotStore(dataSource, logger, {
        revisionChecked: () => metrics.revisionChecked(),
        reloaded: (ms) => metrics.snapshotReloaded(ms),
        applied: (source, revisions) => metrics.changesApplied(source, revisions),
        refreshFailed: () => metrics.snapshotRefreshFailed(),
      })
    : null;
  const health = new HealthStore(dataSource);
  const mailConfig = new MailConfigService(snapshots, metrics, health);
  const feed = snapshots
    ? new SnapshotFeed(snapshots, health)
    : new PollingFeed(dataSource, health, config.cache.refreshMs, () => createLoaders(dataSource, null), logger);
  const mailConfigChanges = new MailConfigHub(
    feed,
    (...args) => mailConfig.resolve(...args),
    (id) => health.status(id),
    metrics,
    logger,
  );
  // A catch-up that fails right after a commit leaves the write committed and the snapshot stale.
  const writes = new WriteRunner(dataSource, async (changes) => {
    await snapshots?.afterWrite(changes);
    mailConfigChanges.committed();
  });
  const smtpServers = new SmtpServerService(writes, secrets);
  const audit = new AuditService(dataSource);
  const deliverability = new DeliverabilityService(config.dns, config.dnsLimits);
  return {
    snapshots,
    smtpServers,
    libraries: new LibraryService(writes),
    departments: new DepartmentService(writes),
    settings: new SettingsService(dataSource, writes),
    mailConfig,
    testMail: new TestMailService(smtpServers, mailConfig, {
      limiter: createRateLimiter(dataSource, { perMinute: config.testMailRatePerMinute, name: 'test_mail', logger }),
      logger,
      metrics,
      audit,
      lookup: config.smtpDnsServers?.length ? dnsServerLookup(config.smtpDnsServers, config.dns.timeoutMs) : systemLookup,
      checks: health,
    }),
    audit,
    revert: new RevertService(writes),
    lists: { dataSource, mailConfig },
    deliverability,
    health,
    mailHealth: new MailHealthService(mailConfig, health, deliverability, snapshots),
    history: new HistoryService(dataSource, snapshots),
    historyPruner: new HistoryPruner(writes, config.history, logger),
    mailConfigChanges,
  };
}

export type Services = ReturnType<typeof createServices>;
export type { Loaders };

/**
 * Fresh per request, so a loader's cache never outlives the request that filled it. With a
 * configuration snapshot every read comes from memory, all of one revision.
 */
export function createLoaders(dataSource: DataSource, snapshot: ConfigSnapshot | null = null): Loaders {
  if (snapshot) return snapshotLoaders(snapshot);
  const servers = createSmtpServerLoaders(dataSource);
  const settings = createSettingsLoaders(dataSource);
  return {
    fromSnapshot: false,
    snapshot: null,
    revision: lazy(() => readRevision(dataSource.manager)),
    ...servers,
    serverIndex: lazy(async () => new Map((await servers.allServers()).map((s) => [s.id, s]))),
    ...createLibraryLoaders(dataSource),
    ...createDepartmentLoaders(dataSource),
    ...settings,
    definitionIndex: lazy(async () => new Map((await settings.allDefinitions()).map((d) => [d.key, d]))),
  };
}

export interface GatewayContext extends AuthContext {
  identity: Identity | null;
  services: Services;
  loaders: Loaders;
  /** The DNS queries this request's deliverability checks may still send, however many they are. */
  dnsBudget: DnsBudget;
  /** Set when the response may be cached; the plugin fills it in after execution. */
  cacheMark?: CacheMark;
}

/**
 * The request's context. Its loaders are made on first use: for a mutation that is after its
 * write, whose commit reloaded the snapshot, so the fields of the result already see the change.
 * The getter lives on the prototype and the made loaders in a shared holder, because Apollo copies
 * the context with Object.assign (which would call an own getter early).
 */
export class RequestContext implements GatewayContext {
  private readonly made: { loaders?: Loaders; dnsBudget?: DnsBudget } = {};

  constructor(
    readonly identity: Identity | null,
    readonly services: Services,
    readonly cacheMark: CacheMark | undefined,
    private readonly makeLoaders: () => Loaders,
  ) {}

  get loaders(): Loaders {
    return (this.made.loaders ??= this.makeLoaders());
  }

  get dnsBudget(): DnsBudget {
    return (this.made.dnsBudget ??= this.services.deliverability.requestBudget(this.identity));
  }
}
