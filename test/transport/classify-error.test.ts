import { classifyMailError, MailErrorCode } from '../../src/mail/transport/classify-error';

function smtpError(fields: Record<string, unknown>, message = 'failed'): Error {
  return Object.assign(new Error(message), fields);
}

describe('classifyMailError', () => {
  it('exposes exactly the documented codes', () => {
    expect(Object.values(MailErrorCode).sort()).toEqual(
      [
        'AUTH_FAILED',
        'CONNECTION_FAILED',
        'DNS_FAILED',
        'MESSAGE_REJECTED',
        'PROTOCOL_ERROR',
        'RECIPIENT_REJECTED',
        'SENDER_REJECTED',
        'TIMEOUT',
        'TLS_FAILED',
        'UNKNOWN',
      ].sort(),
    );
  });

  it.each([
    [{ code: 'EDNS', originalCode: 'ENOTFOUND', command: 'CONN' }, MailErrorCode.DNS_FAILED],
    [{ code: 'ESOCKET', originalCode: 'EAI_AGAIN', command: 'CONN' }, MailErrorCode.DNS_FAILED],
    [{ code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN' }, MailErrorCode.CONNECTION_FAILED],
    [{ code: 'ECONNECTION', command: 'CONN' }, MailErrorCode.CONNECTION_FAILED],
    [{ code: 'ESOCKET', originalCode: 'ETIMEDOUT', command: 'CONN' }, MailErrorCode.TIMEOUT],
    [{ code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT', command: 'CONN' }, MailErrorCode.TIMEOUT],
    [{ code: 'ESOCKET', originalCode: 'SELF_SIGNED_CERT_IN_CHAIN', command: 'CONN' }, MailErrorCode.TLS_FAILED],
    [{ code: 'ESOCKET', originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID', command: 'CONN' }, MailErrorCode.TLS_FAILED],
    [{ code: 'ESOCKET', originalCode: 'ERR_SSL_WRONG_VERSION_NUMBER', command: 'CONN' }, MailErrorCode.TLS_FAILED],
    [{ code: 'ETLS', command: 'STARTTLS', responseCode: 500 }, MailErrorCode.TLS_FAILED],
    [{ code: 'EAUTH', command: 'AUTH PLAIN', responseCode: 535 }, MailErrorCode.AUTH_FAILED],
    [{ code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 530 }, MailErrorCode.AUTH_FAILED],
    [{ code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 550 }, MailErrorCode.SENDER_REJECTED],
    [{ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550 }, MailErrorCode.RECIPIENT_REJECTED],
    [{ code: 'EENVELOPE', command: 'DATA', responseCode: 554 }, MailErrorCode.MESSAGE_REJECTED],
    [{ code: 'EMESSAGE', command: 'DATA', responseCode: 552 }, MailErrorCode.MESSAGE_REJECTED],
    [{ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 421 }, MailErrorCode.CONNECTION_FAILED],
    [{ code: 'EPROTOCOL', command: 'CONN', responseCode: 554 }, MailErrorCode.CONNECTION_FAILED],
    [{ code: 'EPROTOCOL', command: 'EHLO', responseCode: 500 }, MailErrorCode.PROTOCOL_ERROR],
    [{ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 503 }, MailErrorCode.PROTOCOL_ERROR],
    [{ code: 'ESTREAM', command: 'API' }, MailErrorCode.UNKNOWN],
  ])('%j -> %s', (fields, expected) => {
    expect(classifyMailError(smtpError(fields)).code).toBe(expected);
  });

  it('keeps the SMTP reply code', () => {
    expect(classifyMailError(smtpError({ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550 })).responseCode).toBe(550);
    expect(classifyMailError(smtpError({ code: 'ESOCKET', originalCode: 'ECONNREFUSED' })).responseCode).toBeNull();
  });

  describe('permanent (D11: stop the chain)', () => {
    it.each([
      ['5xx sender', { code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 553 }],
      ['5xx recipient', { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550 }],
      ['5xx message', { code: 'EMESSAGE', command: 'DATA', responseCode: 554 }],
      ['5xx DATA command', { code: 'EENVELOPE', command: 'DATA', responseCode: 554 }],
      ['unusable address, refused before reaching any server', { code: 'EENVELOPE', command: 'API' }],
    ])('%s', (_label, fields) => {
      expect(classifyMailError(smtpError(fields)).permanent).toBe(true);
    });

    it.each([
      ['4xx sender', { code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 451 }],
      ['4xx recipient', { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 450 }],
      ['4xx message', { code: 'EMESSAGE', command: 'DATA', responseCode: 452 }],
      ['auth refused', { code: 'EAUTH', command: 'AUTH PLAIN', responseCode: 535 }],
      ['auth required at MAIL FROM', { code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 530 }],
      ['421 at RCPT', { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 421 }],
      ['bad sequence', { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 503 }],
      ['size limit of this server', { code: 'EMESSAGE', command: 'MAIL FROM' }],
      ['TLS', { code: 'ETLS', command: 'STARTTLS', responseCode: 500 }],
      ['timeout', { code: 'ETIMEDOUT', command: 'CONN' }],
      ['connection', { code: 'ECONNECTION', command: 'CONN' }],
      ['unknown', {}],
    ])('%s is not', (_label, fields) => {
      expect(classifyMailError(smtpError(fields)).permanent).toBe(false);
    });
  });

  describe('safe message (D12)', () => {
    const credentials = { username: 'library', password: 'S3cret-pass!' };

    it('is one line, trimmed and at most 200 characters', () => {
      const error = smtpError({ code: 'EPROTOCOL' }, `  first line\r\nsecond\tline ${'x'.repeat(500)}\n`);
      const { message } = classifyMailError(error);
      expect(message).not.toMatch(/[\r\n]/);
      expect(message.startsWith('first line second line')).toBe(true);
      expect(message.length).toBeLessThanOrEqual(200);
    });

    it('never contains the password, plain or base64 as AUTH PLAIN/LOGIN send it', () => {
      const plainToken = Buffer.from(`\u0000library\u0000S3cret-pass!`).toString('base64');
      const loginToken = Buffer.from('S3cret-pass!').toString('base64');
      const error = smtpError({ code: 'EAUTH', responseCode: 535 }, `Invalid login: 535 rejected S3cret-pass! token ${plainToken} / ${loginToken}`);
      const { message } = classifyMailError(error, credentials);
      expect(message).not.toContain('S3cret-pass!');
      expect(message).not.toContain(plainToken);
      expect(message).not.toContain(loginToken);
      expect(message).toContain('Invalid login: 535');
    });

    it('hides the argument of an echoed AUTH command', () => {
      const { message } = classifyMailError(smtpError({ code: 'EAUTH' }, 'Unexpected reply to AUTH PLAIN AGZvbwBiYXI='));
      expect(message).toBe('Unexpected reply to AUTH PLAIN ***');
    });

    it('copes with things that are not errors', () => {
      expect(classifyMailError('boom')).toMatchObject({ code: MailErrorCode.UNKNOWN, message: 'boom', responseCode: null });
      expect(classifyMailError(null).code).toBe(MailErrorCode.UNKNOWN);
    });
  });
});
