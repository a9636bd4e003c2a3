import type { DataSource } from 'typeorm';
import type { Loaders } from '../loaders.type';
import type { MailConfigService } from '../mail/mail-config.service';

/** What the paged lists read from: the request's loaders (the snapshot when on), else SQL. */
export interface ListDeps {
  dataSource: DataSource;
  loaders: Loaders;
  mailConfig: MailConfigService;
}
