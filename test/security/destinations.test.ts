import { resolveDestination } from '../../src/mail/transport/resolve-destination';
import { forbiddenHostReason } from '../../src/security/destination-guard';
import { expectNothingWritten } from '../support/db-state';
import { expectError } from '../support/expect-error';
import { describeEachDatabase } from '../support/gateway';

const CREATE = `mutation CreateSmtpServer($host: String!) { createSmtpServer(input: { name: "Probe", host: $host, port: 25 }) { id } }`;

describe('SMTP destinations (issue 5)', () => {
  it.each(['169.254.169.254', '169.254.0.1', 'fe80::1', '[fe80::abcd]', '::ffff:169.254.169.254', 'metadata.google.internal', 'METADATA'])(
    'refuses %s',
    (host) => {
      expect(forbiddenHostReason(host)).not.toBeNull();
    },
  );

  it.each(['127.0.0.1', '::1', 'localhost', '10.0.0.5', '192.168.1.10', '172.16.0.1', 'smtp.example.org', 'fd00::1'])(
    'allows %s (internal relays are common)',
    (host) => {
      expect(forbiddenHostReason(host)).toBeNull();
    },
  );

  it('refuses a name that resolves to a link-local address right before connecting', async () => {
    const rebinding = async () => ['198.51.100.7', '169.254.169.254'];
    await expect(resolveDestination('smtp.rebinding.example', rebinding)).rejects.toThrow(/link-local address/);
    expect(await resolveDestination('smtp.fine.example', async () => ['10.1.2.3'])).toBe('10.1.2.3');
    await expect(resolveDestination('unresolvable.invalid', async () => Promise.reject(new Error('ENOTFOUND')))).rejects.toMatchObject({ code: 'EDNS' });
  });
});

describeEachDatabase('link-local and metadata hosts over GraphQL (issue 5)', (gw) => {
  it.each(['169.254.169.254', 'fe80::1', 'metadata.google.internal'])('createSmtpServer refuses %s, naming the field', async (host) => {
    const result = await expectNothingWritten(gw(), () => gw().gql(CREATE, { host }));
    expectError(result, 'BAD_USER_INPUT', { field: 'host' });
  });

  it('sending refuses a stored host that has become link-local (written around the API)', async () => {
    const server = await gw().ok<any>(CREATE, { host: '127.0.0.1' });
    await gw().dataSource.query('UPDATE smtp_server SET host = ? WHERE id = ?', ['169.254.169.254', Number(server.createSmtpServer.id)]);
    const check = await gw().ok<any>(`mutation VerifySmtpServer($id: ID!) { verifySmtpServer(id: $id) { ok errorCode message } }`, {
      id: server.createSmtpServer.id,
    });
    expect(check.verifySmtpServer).toMatchObject({ ok: false, errorCode: 'CONNECTION_FAILED' });
    expect(check.verifySmtpServer.message).toMatch(/link-local/);
  });
});
