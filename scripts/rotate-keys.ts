import 'reflect-metadata';
import { jsonLogger } from '../src/common/logger';
import { ConfigError, loadConfig } from '../src/config';
import { createServices } from '../src/context';
import { createDataSource } from '../src/database/data-source';
import { createSecretBox } from '../src/secrets/key-store';

/**
 * Re-encrypts every stored SMTP password under MAIL_CONFIG_KEY. Run it with the previous key in
 * MAIL_CONFIG_OLD_KEYS; afterwards the old key can be removed.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = jsonLogger();
  const dataSource = createDataSource(config.database);
  await dataSource.initialize();
  try {
    const services = createServices(dataSource, createSecretBox(config.secrets, config.production), config, logger);
    const started = Date.now();
    const rotated = await services.smtpServers.rotateKeys();
    logger.log('info', 'key rotation finished', { reencrypted: rotated, durationMs: Date.now() - started });
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `Key rotation failed: ${(error as Error).message}`}\n`);
  process.exit(1);
});
