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
import { DnsConfig } from './config';
import { DeliverabilityService } from './mail/deliverability.service';
import { MailConfigService } from './mail/mail-config.service';
import { TestMailService } from './mail/test-mail.service';
import { createSettingsLoaders } from './settings/settings.loaders';
import { SettingsService } from './settings/settings.service';
import { createSmtpServerLoaders } from './smtp-server/smtp-server.loaders';
import { SecretBox } from './secrets/secret-box';
import { SmtpServerService } from './smtp-server/smtp-server.service';

export interface ServiceOptions {
  testMailRatePerMinute: number;
  dns: DnsConfig;
  logger: Logger;
}

export function createServices(dataSource: DataSource, secrets: SecretBox, options: ServiceOptions) {
  const writes = new WriteRunner(dataSource);
  const smtpServers = new SmtpServerService(dataSource, writes, secrets);
  const mailConfig = new MailConfigService();
  return {
    smtpServers,
    libraries: new LibraryService(dataSource, writes),
    departments: new DepartmentService(writes),
    settings: new SettingsService(dataSource, writes),
    mailConfig,
    testMail: new TestMailService(smtpServers, mailConfig, { ratePerMinute: options.testMailRatePerMinute, logger: options.logger }),
    audit: new AuditService(dataSource),
    deliverability: new DeliverabilityService(options.dns),
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
}
