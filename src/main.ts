import 'reflect-metadata';
import { developmentSecret } from './auth/dev-secret';
import { CREDENTIALS_SCOPE } from './auth/identity';
import { signToken, TokenClaims } from './auth/token-verifier';
import { bounded } from './common/bounded';
import { Logger } from './common/logger';
import { pinoLogger } from './observability/pino-logger';
import type { MailSink } from './dev/mail-sink';
import { loadDemoData } from './bootstrap/demo-data';
import { createApp } from './app';
import { AppConfig, ConfigError, loadConfig } from './config';
import { limitHeapGrowth } from './performance/heap-growth';

const TOKEN_COMMAND = 'npm run -s token -- --role service --scope mail:credentials [--libraries 1,2] [--sub name] [--hours 8]';

/** The development sink as started: where it listens, and the port asked for when that was taken. */
interface StartedSink {
  sink: MailSink;
  takenPort: number | null;
}

/** Example tokens signed with the development secret, and a first query to try with them. */
async function welcomeTokens(config: AppConfig, url: string): Promise<{ lines: string[]; support: string }> {
  const sign = (claims: TokenClaims) => signToken(config.auth.jwtSecret as string, claims, config.auth);
  const support = await sign({ sub: 'demo-support', name: 'Demo support', roles: ['support'] });
  const service = await sign({ sub: 'demo-service', name: 'Demo service', roles: ['service'], scope: CREDENTIALS_SCOPE });
  const libraryAdmin = await sign({ sub: 'demo-library-admin', name: 'Demo library admin', roles: ['library-admin'], libraries: [1] });
  const lines = [
    `No AUTH_JWT_SECRET or AUTH_JWKS_URL is set, so tokens are signed with the development secret kept in ${config.auth.devSecretFile}.`,
    'Tokens valid for 12 hours:',
    `  support: ${support}`,
    `  service (scope ${CREDENTIALS_SCOPE}): ${service}`,
    `  library-admin of library 1: ${libraryAdmin}`,
    `More tokens: ${TOKEN_COMMAND}`,
    '',
    'Try:',
    `  curl -s ${url}/graphql -H 'content-type: application/json' \\`,
    `    -H 'authorization: Bearer ${support}' \\`,
    `    -d '{"query":"{ libraries { code name effectiveMailConfig { servers { name } sender { formatted } } } }"}'`,
    '',
  ];
  return { lines, support };
}

function sinkLines(url: string, started: StartedSink, support: string): string[] {
  const { sink, takenPort } = started;
  const moved = takenPort === null ? [] : [`MAIL_SINK_PORT ${takenPort} is in use, so the mail sink listens on 127.0.0.1:${sink.port} instead.`];
  return [
    ...moved,
    `The demo's SMTP servers deliver to a local mail sink on 127.0.0.1:${sink.port}; what arrives is listed at ${url}/dev/mailbox`,
    'Send a test mail:',
    `  curl -s ${url}/graphql -H 'content-type: application/json' \\`,
    `    -H 'authorization: Bearer ${support}' \\`,
    `    -d '{"query":"mutation { sendTestMail(input: { libraryId: 1, to: \\"reader@example.org\\" }) { ok deliveredBy { name } attempts { server { name } ok errorCode durationMs } } }"}'`,
    `  curl -s ${url}/dev/mailbox`,
    '',
  ];
}

/** Plain text for the person at the terminal, on stderr: stdout carries only JSON log lines. */
async function printWelcome(config: AppConfig, url: string, started: StartedSink | null): Promise<void> {
  const lines = ['', `Mail configuration gateway listening on ${url}/graphql`, ''];
  let support = '$SUPPORT_TOKEN';
  if (config.auth.generated) {
    const welcome = await welcomeTokens(config, url);
    lines.push(...welcome.lines);
    support = welcome.support;
  } else if (config.auth.jwtSecret) {
    lines.push(`Tokens signed with AUTH_JWT_SECRET: ${TOKEN_COMMAND}`, '');
  }
  if (started) lines.push(...sinkLines(url, started, support));
  process.stderr.write(lines.join('\n'));
}

/** Outside production only; smtp-server is loaded lazily so production never needs it. */
async function startDevelopmentSink(config: AppConfig, logger: Logger): Promise<StartedSink | null> {
  if (config.production || config.mailSinkPort === null) return null;
  const { startMailSink } = await import('./dev/mail-sink');
  let takenPort: number | null = null;
  try {
    let sink: MailSink;
    try {
      sink = await startMailSink(config.mailSinkPort, logger);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      // A sink that is not there makes every demo test mail wait for connection timeouts.
      takenPort = config.mailSinkPort;
      sink = await startMailSink(0, logger);
    }
    logger.log(takenPort === null ? 'info' : 'warn', 'development mail sink listening', {
      smtp: `127.0.0.1:${sink.port}`,
      mailbox: '/dev/mailbox',
      ...(takenPort === null ? {} : { portInUse: takenPort }),
    });
    return { sink, takenPort };
  } catch (error) {
    logger.log('warn', 'development mail sink not started', { port: config.mailSinkPort, error: (error as Error).message });
    return null;
  }
}

function loadConfigOrExit(): AppConfig {
  try {
    const config = loadConfig();
    if (!config.auth.jwtSecret && !config.auth.jwksUrl) {
      config.auth = { ...config.auth, jwtSecret: developmentSecret(config.auth.devSecretFile), generated: true };
    }
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  limitHeapGrowth();
  const logger = pinoLogger(config.logLevel);
  keepRunningOnUnhandledRejections(logger);
  const started = await startDevelopmentSink(config, logger);
  const sink = started?.sink ?? null;
  const app = createApp(config, { logger, processMetrics: true, mailbox: sink ? () => sink.messages() : undefined });
  try {
    // The port first: a taken PORT must not wait for migrations and demo data to be reported.
    await app.bind();
    await app.open();
    await app.bootstrap((s) => loadDemoData(s, { host: '127.0.0.1', port: sink?.port ?? 2525 }));
  } catch (error) {
    await app.close();
    await sink?.close();
    throw error;
  }
  const url = await app.listen();
  logger.log('info', 'listening', { url: `${url}/graphql` });
  if (!config.production) await printWelcome(config, url, started);

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
