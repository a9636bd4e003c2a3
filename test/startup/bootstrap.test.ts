import { bootstrap } from '../../src/bootstrap/bootstrap';
import { loadDemoData } from '../../src/bootstrap/demo-data';
import { smtpUrlToInput } from '../../src/bootstrap/smtp-url';
import { silentLogger } from '../../src/common/logger';
import { loadConfig } from '../../src/config';
import { describeEachDatabase } from '../support/gateway';

describe('SMTP URLs for the default servers (D2)', () => {
  it('reads STARTTLS, implicit TLS and credentials', () => {
    expect(smtpUrlToInput('P', 'smtp://mailer:s%40cret@smtp.example.org:587?starttls=true')).toMatchObject({
      host: 'smtp.example.org',
      port: 587,
      username: 'mailer',
      password: 's@cret',
      allowTls: true,
      allowSsl: false,
      requiresAuth: true,
    });
    expect(smtpUrlToInput('S', 'smtps://smtp2.example.org')).toMatchObject({ port: 465, allowSsl: true, allowTls: false, requiresAuth: false, username: null });
  });
});

describeEachDatabase('first-run bootstrap', (gw) => {
  const production = { NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(32), MAIL_CONFIG_KEY: Buffer.alloc(32, 1).toString('base64') };

  it('D2: a production database gets primary -> secondary and DEFAULT_SMTP_SERVER from the environment, once', async () => {
    const config = loadConfig({
      ...production,
      DEFAULT_SMTP_PRIMARY_URL: 'smtp://u:pw@smtp1.example.org:587?starttls=true',
      DEFAULT_SMTP_SECONDARY_URL: 'smtps://smtp2.example.org:465',
    });
    expect(await bootstrap(gw().dataSource, gw().services, config, silentLogger)).toBe('defaults');
    expect(await bootstrap(gw().dataSource, gw().services, config, silentLogger)).toBe('none');
    const data = await gw().ok<any>(`{
      smtpServers { name host }
      effectiveSetting(key: "DEFAULT_SMTP_SERVER") { smtpServer { name host port allowTls hasPassword requiresAuth nextServer { host port allowSsl } } }
      libraries { id }
    }`);
    expect(data.smtpServers).toHaveLength(2);
    expect(data.effectiveSetting.smtpServer).toEqual({
      name: 'Primary SMTP server',
      host: 'smtp1.example.org',
      port: 587,
      allowTls: true,
      hasPassword: true,
      requiresAuth: true,
      nextServer: { host: 'smtp2.example.org', port: 465, allowSsl: true },
    });
    expect(data.libraries).toEqual([]);
  });
});

describeEachDatabase('demo data', (gw) => {
  it('outside production an empty database gets a demo where every query answers something', async () => {
    expect(await bootstrap(gw().dataSource, gw().services, loadConfig({}), silentLogger, loadDemoData)).toBe('demo');
    const data = await gw().ok<any>(`{
      libraries { code departments { name effectiveMailConfig(purpose: INTERLIBRARY_LOAN) { servers { name } sender { formatted } problems { code } } } }
      settingValues { key scope }
      smtpServers { name nextServer { name } }
    }`);
    expect(data.libraries.map((l: any) => l.code)).toEqual(['XYZ', 'BG']);
    expect(data.settingValues.map((v: any) => v.key).sort()).toEqual(['DEFAULT_SMTP_SERVER', 'ILS_EMAIL', 'ILS_SMTP_SERVER']);
    const ill = data.libraries[0].departments[0].effectiveMailConfig;
    expect(ill.servers.map((s: any) => s.name)).toEqual(['ILL relay', 'Vendor primary', 'Vendor secondary']);
    expect(ill.sender.formatted).toBe('"KNIH-XYZ" <mvs@xyz.cz>');
    expect(data.libraries.flatMap((l: any) => l.departments.flatMap((d: any) => d.effectiveMailConfig.problems))).toEqual([]);
  });
});
