import { describeEachDatabase } from '../support/gateway';
import { createTestPki } from '../transport/smtp-fixtures';
import { closedPort } from './helpers';

const AUDIT = `query($type: String, $id: ID) { auditLog(entityType: $type, entityId: $id) { actor action entityType entityId changes { field before after } } }`;

describeEachDatabase('attributable probes and D12 for a new CA', (gw) => {
  let serverId: string;
  let libraryId: string;

  beforeAll(async () => {
    const port = await closedPort();
    const server = await gw().ok<any>(
      `mutation($port: Int!) { createSmtpServer(input: { name: "Closed", host: "127.0.0.1", port: $port, connectionTimeoutMs: 300 }) { id } }`,
      { port },
    );
    serverId = server.createSmtpServer.id;
    const library = await gw().ok<any>(
      `mutation($s: ID!) { createLibrary(input: { code: "AUD", name: "Audited", contactEmail: "a@audited.org", smtpServerId: $s }) { id } }`,
      { s: serverId },
    );
    libraryId = library.createLibrary.id;
  });

  it('verifySmtpServer leaves an audit entry with the outcome', async () => {
    const check = await gw().ok<any>(`mutation($id: ID!) { verifySmtpServer(id: $id) { ok errorCode } }`, { id: serverId });
    expect(check.verifySmtpServer).toEqual({ ok: false, errorCode: 'CONNECTION_FAILED' });
    const log = await gw().ok<any>(AUDIT, { type: 'SmtpServer', id: serverId });
    expect(log.auditLog[0]).toMatchObject({ actor: 'support-1', action: 'verifySmtpServer', entityType: 'SmtpServer', entityId: serverId });
    expect(log.auditLog[0].changes).toEqual(expect.arrayContaining([{ field: 'errorCode', before: null, after: 'CONNECTION_FAILED' }]));
  });

  it('sendTestMail leaves an audit entry naming the recipient and the outcome', async () => {
    const sent = await gw().ok<any>(`mutation($l: ID!) { sendTestMail(input: { libraryId: $l, to: "reader@example.org" }) { ok } }`, { l: libraryId });
    expect(sent.sendTestMail.ok).toBe(false);
    const log = await gw().ok<any>(AUDIT, { type: 'Library', id: libraryId });
    expect(log.auditLog[0]).toMatchObject({ action: 'sendTestMail', actor: 'support-1' });
    expect(log.auditLog[0].changes).toEqual(
      expect.arrayContaining([
        { field: 'recipient', before: null, after: 'reader@example.org' },
        { field: 'delivered', before: null, after: 'false' },
      ]),
    );
  });

  it('D12: trusting a new CA without re-entering the password clears it', async () => {
    const created = await gw().ok<any>(
      `mutation { createSmtpServer(input: { name: "CA", host: "smtp.ca.example.org", port: 465, allowSsl: true, requiresAuth: true, username: "u", password: "pw-before-ca" }) { id hasPassword } }`,
    );
    expect(created.createSmtpServer.hasPassword).toBe(true);
    const pem = createTestPki().caPem;
    const updated = await gw().ok<any>(`mutation($id: ID!, $pem: String) { updateSmtpServer(id: $id, input: { tlsCaPem: $pem }) { hasPassword notices } }`, {
      id: created.createSmtpServer.id,
      pem,
    });
    expect(updated.updateSmtpServer.hasPassword).toBe(false);
    expect(updated.updateSmtpServer.notices[0]).toMatch(/tlsCaPem/);
  });
});
