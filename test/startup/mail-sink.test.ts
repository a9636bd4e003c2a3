import { bootstrap } from '../../src/bootstrap/bootstrap';
import { loadDemoData } from '../../src/bootstrap/demo-data';
import { silentLogger } from '../../src/common/logger';
import { loadConfig } from '../../src/config';
import { MailSink, startMailSink } from '../../src/dev/mail-sink';
import { startTestGateway, TestGateway } from '../support/gateway';

describe('the development mail sink (newcomers see test mails arrive)', () => {
  let sink: MailSink;
  let gateway: TestGateway;

  beforeAll(async () => {
    sink = await startMailSink(0, silentLogger);
    gateway = await startTestGateway('sqlite', {}, () => sink.messages());
    await bootstrap(gateway.dataSource, gateway.services, loadConfig({}), silentLogger, (s) => loadDemoData(s, { host: '127.0.0.1', port: sink.port }));
  });
  afterAll(async () => {
    await gateway.close();
    await sink.close();
  });

  it("receives the demo's test mail and lists it decoded at GET /dev/mailbox", async () => {
    const result = await gateway.ok<any>(`mutation {
      sendTestMail(input: { libraryId: 1, departmentId: 2, to: "reader@example.org" }) { ok messageId deliveredBy { name } }
    }`);
    expect(result.sendTestMail).toMatchObject({ ok: true, deliveredBy: { name: 'Reading room relay' } });
    const mailbox = (await (await fetch(`${gateway.url}/dev/mailbox`)).json()) as any[];
    expect(mailbox).toHaveLength(1);
    expect(mailbox[0].envelope).toEqual({ from: 'studovna@xyz.cz', to: ['reader@example.org'] });
    expect(mailbox[0].headers['message-id']).toBe(result.sendTestMail.messageId);
    expect(mailbox[0].headers.subject).toBe('Test mail from Městská knihovna XYZ');
    expect(mailbox[0].text).toContain('Department:  Reading room');
    expect(mailbox[0].text).toContain('SMTP server: Reading room relay');
  });

  it('does not exist without a sink (production)', async () => {
    const plain = await startTestGateway('sqlite');
    try {
      expect((await fetch(`${plain.url}/dev/mailbox`)).status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
