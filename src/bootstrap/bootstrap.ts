import { DataSource } from 'typeorm';
import { Logger } from '../common/logger';
import { AppConfig } from '../config';
import type { Services } from '../context';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { BuiltInSetting, SettingScope } from '../settings/setting.enums';
import { loadDemoData } from './demo-data';
import { smtpUrlToInput } from './smtp-url';
import { SYSTEM_ACTOR } from './system-actor';

export type BootstrapOutcome = 'defaults' | 'demo' | 'none';

/**
 * D2: an empty database gets its default primary and secondary servers (from the environment)
 * or, outside production, the demo configuration. A database that has servers is left alone.
 */
export async function bootstrap(
  dataSource: DataSource,
  services: Services,
  config: AppConfig,
  logger: Logger,
  demo: (services: Services) => Promise<void> = loadDemoData,
): Promise<BootstrapOutcome> {
  if ((await dataSource.getRepository(SmtpServer).count()) > 0) return 'none';
  if (config.defaultPrimaryUrl) {
    const secondary = config.defaultSecondaryUrl
      ? await services.smtpServers.create(smtpUrlToInput('Secondary SMTP server', config.defaultSecondaryUrl), SYSTEM_ACTOR)
      : null;
    const primary = await services.smtpServers.create(
      { ...smtpUrlToInput('Primary SMTP server', config.defaultPrimaryUrl), nextServerId: secondary ? String(secondary.id) : null },
      SYSTEM_ACTOR,
    );
    await services.settings.set({ key: BuiltInSetting.DEFAULT_SMTP_SERVER, scope: SettingScope.GLOBAL, value: String(primary.id) }, SYSTEM_ACTOR);
    logger.log('info', 'created the default SMTP servers', { primary: primary.host, secondary: secondary?.host ?? null });
    return 'defaults';
  }
  if (config.demoData) {
    await demo(services);
    logger.log('info', 'loaded the demo configuration');
    return 'demo';
  }
  return 'none';
}
