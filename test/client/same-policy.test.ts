import { connectionOptions } from '../../client/src/mailer/smtp-session';
import { toSmtpTransportOptions, type TransportServer } from '../../src/mail/transport/smtp-transport';

/**
 * D9 in the client is the gateway's: a service's mail is secured exactly as the gateway's test
 * mail is. (The D11 classification is one module, shared; the TLS options are built on each
 * side from what each has, so this table keeps the two from drifting apart.)
 */

const CREDENTIALS = { username: 'notice-sender', password: 'S3cret-Pa55-client' };

describe('the client secures its connections as the gateway does (D9)', () => {
  const base: TransportServer = {
    id: 1,
    name: 'relay',
    host: 'smtp.example.org',
    port: 587,
    username: CREDENTIALS.username,
    password: CREDENTIALS.password,
    allowTls: false,
    allowSsl: false,
    requiresAuth: false,
    connectionTimeoutMs: 3000,
    timeoutMs: 200000,
    tlsCaPem: null,
  };

  it.each([
    ['plain', {}],
    ['STARTTLS required', { allowTls: true }],
    ['implicit TLS', { allowSsl: true }],
    ['both flags (implicit wins)', { allowSsl: true, allowTls: true }],
    ['private CA and login', { allowTls: true, requiresAuth: true, tlsCaPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' }],
  ])('D9: %s maps to the same connection settings from the transport field', (_name, overrides) => {
    const server = { ...base, ...overrides };
    const gateway = toSmtpTransportOptions(server);
    // What SmtpServer.transport carries (SmtpServerService.transport) ...
    const transport = {
      host: gateway.host,
      port: gateway.port,
      secure: gateway.secure,
      requireTLS: Boolean(gateway.requireTLS),
      ignoreTLS: Boolean(gateway.ignoreTLS),
      connectionTimeout: gateway.connectionTimeout,
      greetingTimeout: gateway.greetingTimeout,
      socketTimeout: gateway.socketTimeout,
      auth: gateway.auth ? { user: gateway.auth.user, pass: gateway.auth.pass } : null,
      tlsCaPem: server.tlsCaPem,
    };
    // ... turned back into the connection the client opens.
    const client = connectionOptions(transport);
    const pick = (options: Record<string, any>) => ({
      secure: options.secure,
      requireTLS: Boolean(options.requireTLS),
      opportunisticTLS: Boolean(options.opportunisticTLS),
      ignoreTLS: Boolean(options.ignoreTLS),
      connectionTimeout: options.connectionTimeout,
      greetingTimeout: options.greetingTimeout,
      socketTimeout: options.socketTimeout,
      tls: options.tls,
    });
    expect(pick(client)).toEqual(pick(gateway));
  });
});
