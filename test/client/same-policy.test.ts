import { classifyMailError as clientClassify, MailErrorCode as ClientCodes } from '../../client/src/mailer/classify-error';
import { connectionOptions } from '../../client/src/mailer/smtp-session';
import { classifyMailError as gatewayClassify, MailErrorCode as GatewayCodes } from '../../src/mail/transport/classify-error';
import { toSmtpTransportOptions, type TransportServer } from '../../src/mail/transport/smtp-transport';

/**
 * D11 and D9 in the client are the gateway's: a service's mail fails over, and is secured, exactly
 * as the gateway's test mail is. The client keeps its own copy of the classification (it is a
 * separate package); these tables keep the two from drifting apart.
 */

const CREDENTIALS = { username: 'notice-sender', password: 'S3cret-Pa55-client' };
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

function smtpError(fields: Record<string, unknown>, message = 'failed'): Error {
  return Object.assign(new Error(message), fields);
}

const FAILURES: Array<[string, Error]> = [
  ['DNS', smtpError({ code: 'EDNS', originalCode: 'ENOTFOUND', command: 'CONN' }, 'getaddrinfo ENOTFOUND smtp.example.org')],
  ['refused', smtpError({ code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN' }, 'connect ECONNREFUSED 127.0.0.1:25')],
  ['timeout', smtpError({ code: 'ETIMEDOUT', command: 'CONN' }, 'Greeting never received')],
  ['certificate', smtpError({ code: 'ESOCKET', originalCode: 'SELF_SIGNED_CERT_IN_CHAIN', command: 'CONN' }, 'self-signed certificate in certificate chain')],
  ['STARTTLS refused', smtpError({ code: 'ETLS', command: 'STARTTLS', responseCode: 500, response: '500 5.5.1 Unknown command' })],
  [
    'login refused, echoing the password',
    smtpError({
      code: 'EAUTH',
      command: 'AUTH PLAIN',
      responseCode: 535,
      response: `535 5.7.8 ${b64(`\u0000notice-sender\u0000${CREDENTIALS.password}`)} rejected`,
    }),
  ],
  ['no AUTH offered', smtpError({ code: 'EAUTH', command: 'API' }, 'Server does not offer AUTH; credentials were not sent')],
  ['auth required', smtpError({ code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 530, response: '530 5.7.0 Authentication required' })],
  ['sender 5xx', smtpError({ code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 553, response: '553 5.1.8 Sender rejected' })],
  ['recipient 4xx', smtpError({ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 450, response: '450 4.2.1 Mailbox busy' })],
  ['recipient 5xx', smtpError({ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550, response: '550 5.1.1 No such user' })],
  ['message 5xx', smtpError({ code: 'EMESSAGE', command: 'DATA', responseCode: 554, response: '554 5.6.0 Message refused' })],
  ['message 4xx', smtpError({ code: 'EMESSAGE', command: 'DATA', responseCode: 451, response: '451 4.3.0 Try again' })],
  ['shutting down', smtpError({ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 421, response: '421 4.3.2 Closing' })],
  ['bad sequence', smtpError({ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 503, response: '503 5.5.1 Bad sequence' })],
  ['not SMTP', smtpError({ code: 'EPROTOCOL', command: 'CONN', response: 'SSH-2.0-OpenSSH_9.6\r\n' })],
  ['local address refusal', smtpError({ code: 'EENVELOPE', command: 'API' }, 'Invalid sender "x"')],
  ['anything else', new TypeError('Cannot read properties of undefined')],
];

describe('the client fails over and secures as the gateway does (D9, D11)', () => {
  it('has the same error codes', () => {
    expect(Object.values(ClientCodes).sort()).toEqual(Object.values(GatewayCodes).sort());
  });

  it.each(FAILURES)('D11: %s is classified alike (code, reply, safe message, whether the chain stops)', (_name, error) => {
    expect(clientClassify(error, CREDENTIALS)).toEqual(gatewayClassify(error, CREDENTIALS));
    expect(JSON.stringify(clientClassify(error, CREDENTIALS))).not.toContain(CREDENTIALS.password);
  });

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
