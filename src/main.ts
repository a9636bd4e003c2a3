import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { signToken } from './auth/token-verifier';
import { bounded } from './common/bounded';
import { Logger } from './common/logger';
import { pinoLogger } from './observability/pino-logger';
import type { MailSink } from './dev/mail-sink';
import { loadDemoData } from './bootstrap/demo-data';
import { createApp } from './app';
import { AppConfig, ConfigError, loadConfig } from './config';
import { limitHeapGrowth } from './performance/heap-growth';

async function printWelcome(config: AppConfig, url: string, sink: MailSink | null): Promise<void> {
  const secret = config.auth.jwtSecret as string;
  const support = await signToken(secret, { sub: 'demo-support', name: 'Demo support', roles: ['support'] }, config.auth);
  const service = await signToken(secret, { sub: 'demo-service', name: 'Demo service', roles: ['service'] }, config.auth);
  const lines = [
    '',
    `Mail configuration gateway listening on ${url}/graphql`,
    '',
    'No AUTH_JWT_SECRET or AUTH_JWKS_URL is set, so a secret was generated for this run.',
    'Tokens valid for 12 hours:',
    `  support: ${support}`,
    `  service: ${service}`,
    '',
    'Try:',
    `  curl -s ${url}/graphql -H 'content-type: application/json' \\`,
    `    -H 'authorization: Bearer ${support}' \\`,
    `    -d '{"query":"{ libraries { code name effectiveMailConfig { servers { name } sender { formatted } } } }"}'`,
    '',
  ];
  if (sink) {
    lines.push(
      `The demo's SMTP servers deliver to a local mail sink on 127.0.0.1:${sink.port}; what arrives is listed at ${url}/dev/mailbox`,
      'Send a test mail:',
      `  curl -s ${url}/graphql -H 'content-type: application/json' \\`,
      `    -H 'authorization: Bearer ${support}' \\`,
      `    -d '{"query":"mutation { sendTestMail(input: { libraryId: 1, to: \\"reader@example.org\\" }) { ok deliveredBy { name } attempts { server { name } ok errorCode durationMs } } }"}'`,
      `  curl -s ${url}/dev/mailbox`,
      '',
    );
  }
  process.stdout.write(lines.join('\n'));
}

/** Outside production only; smtp-server is loaded lazily so production never needs it. */
async function startDevelopmentSink(config: AppConfig, logger: Logger): Promise<MailSink | null> {
  if (config.production || config.mailSinkPort === null) return null;
  const { startMailSink } = await import('./dev/mail-sink');
  try {
    const sink = await startMailSink(config.mailSinkPort, logger);
    logger.log('info', 'development mail sink listening', { smtp: `127.0.0.1:${sink.port}`, mailbox: '/dev/mailbox' });
    return sink;
  } catch (error) {
    logger.log('warn', 'development mail sink not started', { port: config.mailSinkPort, error: (error as Error).message });
    return null;
  }
}

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  if (!config.auth.jwtSecret && !config.auth.jwksUrl) {
    config.auth = { ...config.auth, jwtSecret: randomBytes(32).toString('base64url'), generated: true };
  }
  limitHeapGrowth();
  const logger = pinoLogger(config.logLevel);
  keepRunningOnUnhandledRejections(logger);
  const sink = await startDevelopmentSink(config, logger);
  const app = createApp(config, { logger, processMetrics: true, mailbox: sink ? () => sink.messages() : undefined });
  await app.open();
  await app.bootstrap((s) => loadDemoData(s, { host: '127.0.0.1', port: sink?.port ?? 2525 }));
  const url = await app.listen();
  logger.log('info', 'listening', { url: `${url}/graphql` });
  if (config.auth.generated) await printWelcome(config, url, sink);

  let stopping = false;
  const shutdown = async (signal: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    logger.log('info', 'shutting down', { signal });
    // Every step below is bounded, so this timer is only a last resort: exit within 10 s, always.
    const force = setTimeout(() => {
      logger.log('error', 'shutdown did not finish in time', { signal });
      process.exit(1);
    }, 9_500);
    force.unref();
    await app.close();
    await bounded(logger, 'mail sink close', sink?.close() ?? Promise.resolve(), 500);
    logger.log('info', 'stopped', { signal });
    process.exit(exitCode);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('uncaughtException', (error) => {
    logger.log('error', 'uncaught exception; shutting down', describeFailure(error));
    void shutdown('uncaughtException', 1);
  });
}

/** What a failure log line may carry: its type, first message line and stack, with bearer tokens masked. */
function describeFailure(error: unknown): Record<string, unknown> {
  const mask = (text: string) => text.replace(/\beyJ[\w-]+\.[\w-]+\.[\w-]*/g, '[token]');
  if (!(error instanceof Error)) return { error: mask(String(error)).split('\n')[0] };
  return { errorType: error.name, error: mask(error.message.split('\n')[0]), stack: error.stack ? mask(error.stack) : undefined };
}

/**
 * A promise rejected with nobody listening is logged and survives: by default Node would end the
 * process, and with it every library's mail configuration. The request handler itself never lets
 * one escape; this is the net under it.
 */
function keepRunningOnUnhandledRejections(logger: Logger): void {
  process.on('unhandledRejection', (reason) => logger.log('error', 'unhandled promise rejection', describeFailure(reason)));
}

main().catch((error) => {
  process.stderr.write(`Start-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
