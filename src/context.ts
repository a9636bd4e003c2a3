import { DataSource } from 'typeorm';
import { AuthContext } from './auth/access';
import { Identity } from './auth/identity';
import { WriteRunner } from './database/transaction';
import { createDepartmentLoaders } from './department/department.loaders';
import { DepartmentService } from './department/department.service';
import { createLibraryLoaders } from './library/library.loaders';
import { LibraryService } from './library/library.service';
import { MailConfigService } from './mail/mail-config.service';
import { createSettingsLoaders } from './settings/settings.loaders';
import { SettingsService } from './settings/settings.service';
import { createSmtpServerLoaders } from './smtp-server/smtp-server.loaders';
import { SmtpServerService } from './smtp-server/smtp-server.service';

export function createServices(dataSource: DataSource) {
  const writes = new WriteRunner(dataSource);
  return {
    smtpServers: new SmtpServerService(dataSource, writes),
    libraries: new LibraryService(dataSource, writes),
    departments: new DepartmentService(dataSource, writes),
    settings: new SettingsService(dataSource, writes),
    mailConfig: new MailConfigService(),
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
