import 'reflect-metadata';
import { jsonLogger } from '../src/common/logger';
import { ConfigError, loadConfig } from '../src/config';
import { createApp } from '../src/app';

/**
 * Re-encrypts every stored SMTP password under MAIL_CONFIG_KEY. Run it with the previous key in
 * MAIL_CONFIG_OLD_KEYS; afterwards the old key can be removed.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = jsonLogger();
  // Rotation never migrates: it runs against the schema the gateway already uses.
  const app = createApp({ ...config, migrationsRun: false }, { logger });
  await app.open();
  try {
    const started = Date.now();
    const rotated = await app.services.smtpServers.rotateKeys();
    logger.log('info', 'key rotation finished', { reencrypted: rotated, durationMs: Date.now() - started });
  } finally {
    await app.close();
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `Key rotation failed: ${(error as Error).message}`}\n`);
  process.exit(1);
});
