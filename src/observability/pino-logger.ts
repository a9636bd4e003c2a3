import pino from 'pino';
import { Logger, LogLevel } from '../common/logger';

/**
 * Structured JSON logs on stdout. Redaction is a second line of defence: callers never pass
 * secrets, but a field with one of these names is masked if one ever slips in.
 */
export function pinoLogger(level: LogLevel = 'info'): Logger {
  const logger = pino({
    level,
    base: { service: 'mail-config-gateway' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['password', '*.password', 'pass', '*.pass', 'authorization', '*.authorization', 'token', 'key'], censor: '[redacted]' },
  });
  return {
    log(lvl, message, fields = {}) {
      logger[lvl](fields, message);
    },
  };
}
