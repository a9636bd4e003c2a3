import { DataSource } from 'typeorm';
import { AuditService } from './audit/audit.service';
import { AuthContext } from './auth/access';
import { Identity } from './auth/identity';
import { WriteRunner } from './database/transaction';
import { createDepartmentLoaders } from './department/department.loaders';
import { DepartmentService } from './department/department.service';
import { createLibraryLoaders } from './library/library.loaders';
import { LibraryService } from './library/library.service';
import { Logger } from './common/logger';
import { AppConfig } from './config';
import { DeliverabilityService } from './mail/deliverability.service';
import { MailConfigService } from './mail/mail-config.service';
import { TestMailService } from './mail/test-mail.service';
import { createSettingsLoaders } from './settings/settings.loaders';
import { SettingsService } from './settings/settings.service';
import { createSmtpServerLoaders } from './smtp-server/smtp-server.loaders';
import { SecretBox } from './secrets/secret-box';
import { Metrics } from './observability/metrics';
import { SnapshotStore } from './snapshot/snapshot-store';
import type { CacheMark } from './performance/response-cache';
import { SmtpServerService } from './smtp-server/smtp-server.service';

export type ServiceConfig = Pick<AppConfig, 'testMailRatePerMinute' | 'dns' | 'cache'>;

export function createServices(dataSource: DataSource, secrets: SecretBox, config: ServiceConfig, logger: Logger, metrics = new Metrics()) {
  const snapshots = config.cache.enabled
    ? new SnapshotStore(dataSource, logger, {
        reloaded: (ms) => metrics.snapshotReloaded(ms),
        refreshFailed: () => metrics.snapshotRefreshFailed(),
      })
    : null;
  // A reload that fails right after a commit leaves the write committed and the snapshot stale.
  const writes = new WriteRunner(dataSource, async () => snapshots?.refresh());
  const smtpServers = new SmtpServerService(dataSource, writes, secrets);
  const mailConfig = new MailConfigService(snapshots, metrics);
  return {
    snapshots,
    smtpServers,
    libraries: new LibraryService(dataSource, writes),
    departments: new DepartmentService(writes),
    settings: new SettingsService(dataSource, writes),
    mailConfig,
    testMail: new TestMailService(smtpServers, mailConfig, { ratePerMinute: config.testMailRatePerMinute, logger, metrics }),
    audit: new AuditService(dataSource),
    deliverability: new DeliverabilityService(config.dns),
  };
}

export type Services = ReturnType<typeof createServices>;

/** Fresh per request, so a loader's cache never outlives the request that filled it. */
export function createLoaders(dataSource: DataSource) {
  return {
    ...createSmtpServerLoaders(dataSource),
    ...createLibraryLoaders(dataSource),
    ...createDepartmentLoaders(dataSource),
    ...createSettingsLoaders(dataSource),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

export interface GatewayContext extends AuthContext {
  identity: Identity | null;
  services: Services;
  loaders: Loaders;
  /** Set when the response may be cached; the plugin fills it in after execution. */
  cacheMark?: CacheMark;
}
