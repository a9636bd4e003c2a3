import { assertValidCaPem, certificateSubject } from '../../src/mail/transport/ca-pem';
import { toSmtpTransportOptions, type TransportServer } from '../../src/mail/transport/smtp-transport';
import { createTestPki } from './smtp-fixtures';

const base: TransportServer = {
  id: 1,
  name: 'primary',
  host: 'smtp.example.org',
  port: 587,
  username: 'library',
  password: 'not-a-real-password',
  allowTls: false,
  allowSsl: false,
  requiresAuth: false,
  connectionTimeoutMs: 15_000,
  timeoutMs: 200_000,
  tlsCaPem: null,
};

describe('toSmtpTransportOptions (D9)', () => {
  it('allow SSL means implicit TLS and wins over allow TLS', () => {
    const options = toSmtpTransportOptions({ ...base, allowSsl: true, allowTls: true, port: 465 });
    expect(options.secure).toBe(true);
    expect(options.requireTLS).toBeUndefined();
    expect(options.opportunisticTLS).toBeUndefined();
  });

  it('allow TLS alone requires STARTTLS', () => {
    const options = toSmtpTransportOptions({ ...base, allowTls: true });
    expect(options.secure).toBe(false);
    expect(options.requireTLS).toBe(true);
    expect(options.ignoreTLS).toBeUndefined();
  });

  it('neither flag: plaintext that upgrades opportunistically', () => {
    const options = toSmtpTransportOptions(base);
    expect(options.secure).toBe(false);
    expect(options.requireTLS).toBeUndefined();
    expect(options.ignoreTLS).toBeUndefined();
    expect(options.opportunisticTLS).toBe(true);
  });

  it('requires auth: credentials and forceAuth, so a server without AUTH is not silently used', () => {
    const options = toSmtpTransportOptions({ ...base, requiresAuth: true });
    expect(options.auth).toEqual({ user: 'library', pass: 'not-a-real-password' });
    expect(options.forceAuth).toBe(true);
  });

  it('no auth wanted: no credentials are handed to nodemailer at all', () => {
    const options = toSmtpTransportOptions(base);
    expect(options.auth).toBeUndefined();
    expect(options.forceAuth).toBeUndefined();
  });

  it('connection timeout bounds connect and greeting; timeout bounds socket inactivity', () => {
    const options = toSmtpTransportOptions(base);
    expect(options.connectionTimeout).toBe(15_000);
    expect(options.greetingTimeout).toBe(15_000);
    expect(options.socketTimeout).toBe(200_000);
  });

  it('certificate checks stay on, with or without a private CA', () => {
    const pki = createTestPki();
    const without = toSmtpTransportOptions(base);
    const withCa = toSmtpTransportOptions({ ...base, tlsCaPem: pki.caPem });
    expect(without.tls).toMatchObject({ rejectUnauthorized: true });
    expect(without.tls).not.toHaveProperty('ca');
    expect(withCa.tls).toMatchObject({ rejectUnauthorized: true, ca: pki.caPem });
  });
});

describe('CA PEM helpers', () => {
  const pki = createTestPki('Biblioteka Test CA');

  it('gives the CN of a certificate', () => {
    expect(certificateSubject(pki.caPem)).toBe('Biblioteka Test CA');
    expect(certificateSubject(pki.serverCertPem)).toBe('localhost');
  });

  it('accepts a bundle of several certificates', () => {
    expect(() => assertValidCaPem(`${pki.caPem}\n${pki.serverCertPem}`)).not.toThrow();
  });

  it('rejects text that is no certificate', () => {
    expect(() => assertValidCaPem('hello')).toThrow(/no BEGIN\/END CERTIFICATE/);
    expect(() => certificateSubject('')).toThrow();
  });

  it('rejects a damaged certificate', () => {
    const damaged = pki.caPem.replace(/(-----BEGIN CERTIFICATE-----\r?\n)(.{20})/, '$1AAAAAAAAAAAAAAAAAAAA');
    expect(() => assertValidCaPem(damaged)).toThrow(/not valid/);
  });

  it('rejects a private key pasted instead of a certificate', () => {
    expect(() => assertValidCaPem(pki.serverKeyPem)).toThrow();
  });
});
