import { SmtpServerInput } from '../smtp-server/smtp-server.input';

/**
 * Reads DEFAULT_SMTP_PRIMARY_URL-style values: smtp://user:pass@host:587?starttls=true for
 * STARTTLS, smtps://host:465 for implicit TLS. Credentials in the URL mean authentication.
 */
export function smtpUrlToInput(name: string, raw: string): SmtpServerInput {
  const url = new URL(raw);
  const secure = url.protocol === 'smtps:';
  const starttls = /^(true|1|yes)$/i.test(url.searchParams.get('starttls') ?? '');
  const username = url.username ? decodeURIComponent(url.username) : null;
  return {
    name,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    username,
    password: url.password ? decodeURIComponent(url.password) : null,
    allowSsl: secure,
    allowTls: !secure && starttls,
    requiresAuth: username !== null,
  };
}
