import { createDepartment, createLibrary, createServer, setSetting } from '../support/fixtures';
import { describeEachDatabase, TestGateway, WITH_SNAPSHOT } from '../support/gateway';

const CONFIG_FIELDS = `
  purpose
  library { code }
  department { name }
  servers { name }
  sender { address name formatted }
  trace { target source field outcome value note }
  problems { code severity message server { name } }
`;

const QUERY = `query EffectiveMailConfig($libraryId: ID!, $departmentId: ID, $purpose: MailPurpose! = GENERAL) {
  effectiveMailConfig(libraryId: $libraryId, departmentId: $departmentId, purpose: $purpose) { ${CONFIG_FIELDS} }
}`;

/** Each server gets a host of its own, derived from its name. */
function relay(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, host: `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.example.org`, allowTls: true, ...extra };
}

async function resolve(gw: TestGateway, variables: Record<string, unknown>, token?: string) {
  return (await gw.ok<any>(QUERY, variables, token)).effectiveMailConfig;
}

const names = (config: any) => config.servers.map((s: any) => s.name);
const usedSteps = (config: any, target: string) => config.trace.filter((s: any) => s.target === target && s.outcome === 'USED');

function scenarios(gw: () => TestGateway): void {
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const g = gw();
    ids.secondary = (await createServer(g, relay('Secondary'))).id;
    ids.primary = (await createServer(g, relay('Primary', { nextServerId: ids.secondary }))).id;
    ids.own = (await createServer(g, relay('Library own'))).id;
    ids.dept = (await createServer(g, relay('Department own', { nextServerId: ids.own }))).id;
    ids.ill = (await createServer(g, relay('ILL server'))).id;
    await setSetting(g, { key: 'DEFAULT_SMTP_SERVER', scope: 'GLOBAL', value: ids.primary });

    ids.plain = (await createLibrary(g, { code: 'XYZ', name: 'Knihovna XYZ', shortName: 'KNIH-XYZ', contactEmail: 'knihovna@xyz.cz' })).id;
    ids.plainDept = (await createDepartment(g, ids.plain, { name: 'Children', email: 'deti@xyz.cz', smtpServerId: ids.dept })).id;
    ids.plainDeptBare = (await createDepartment(g, ids.plain, { name: 'Stores' })).id;

    ids.owning = (
      await createLibrary(g, {
        code: 'OWN',
        name: 'Biblioteka Główna',
        shortName: 'Biblioteka "Główna", Kraków',
        contactEmail: 'bg@glowna.pl',
        smtpServerId: ids.own,
      })
    ).id;
    ids.owningDept = (await createDepartment(g, ids.owning, { name: 'Czytelnia', email: 'czytelnia@glowna.pl' })).id;
    await setSetting(g, { key: 'ILS_SMTP_SERVER', scope: 'LIBRARY', libraryId: ids.owning, value: ids.ill });
    await setSetting(g, { key: 'ILS_EMAIL', scope: 'LIBRARY', libraryId: ids.owning, value: 'mvs@glowna.pl' });

    ids.anonymous = (await createLibrary(g, { code: 'NONAME', name: 'No short name', contactEmail: 'info@noname.org' })).id;
  });

  it('R3/R4: a library without a server uses the default chain, primary then secondary', async () => {
    const config = await resolve(gw(), { libraryId: ids.plain });
    expect(names(config)).toEqual(['Primary', 'Secondary']);
    expect(usedSteps(config, 'SMTP_SERVER').map((s: any) => [s.source, s.field, s.value])).toEqual([
      ['GLOBAL_SETTING', 'DEFAULT_SMTP_SERVER', 'Primary'],
      ['NEXT_SERVER', 'SmtpServer.nextServer', 'Secondary'],
    ]);
  });

  it("R4: the library's own server replaces the default", async () => {
    const config = await resolve(gw(), { libraryId: ids.owning });
    expect(names(config)).toEqual(['Library own']);
  });

  it("R5/R8: a department's own server and e-mail override the library's; its chain follows", async () => {
    const config = await resolve(gw(), { libraryId: ids.plain, departmentId: ids.plainDept });
    expect(names(config)).toEqual(['Department own', 'Library own']);
    expect(config.sender).toEqual({ address: 'deti@xyz.cz', name: 'KNIH-XYZ', formatted: '"KNIH-XYZ" <deti@xyz.cz>' });
    expect(config.department).toEqual({ name: 'Children' });
  });

  it('R5/R8: a department with empty fields falls back to the library and then the default', async () => {
    const config = await resolve(gw(), { libraryId: ids.plain, departmentId: ids.plainDeptBare });
    expect(names(config)).toEqual(['Primary', 'Secondary']);
    expect(config.sender.address).toBe('knihovna@xyz.cz');
    expect(config.trace.slice(0, 3).map((s: any) => [s.source, s.outcome])).toEqual([
      ['DEPARTMENT', 'EMPTY'],
      ['LIBRARY', 'EMPTY'],
      ['GLOBAL_SETTING', 'USED'],
    ]);
  });

  it('R6/R9/D4: interlibrary loan uses ILS_SMTP_SERVER and ILS_EMAIL and skips the department', async () => {
    const config = await resolve(gw(), { libraryId: ids.owning, departmentId: ids.owningDept, purpose: 'INTERLIBRARY_LOAN' });
    expect(config.purpose).toBe('INTERLIBRARY_LOAN');
    expect(names(config)).toEqual(['ILL server']);
    expect(config.sender.address).toBe('mvs@glowna.pl');
    const skipped = config.trace.filter((s: any) => s.outcome === 'SKIPPED');
    expect(skipped.map((s: any) => s.field)).toEqual(['Department.smtpServer', 'Department.email']);
    expect(skipped[0].note).toMatch(/not used for interlibrary loan/);
  });

  it('R6/R9: interlibrary loan without ILS settings falls back to the library (then the default)', async () => {
    const config = await resolve(gw(), { libraryId: ids.plain, departmentId: ids.plainDept, purpose: 'INTERLIBRARY_LOAN' });
    expect(names(config)).toEqual(['Primary', 'Secondary']);
    expect(config.sender.address).toBe('knihovna@xyz.cz');
    expect(config.trace.map((s: any) => [s.target, s.source, s.field, s.outcome])).toEqual([
      ['SMTP_SERVER', 'DEPARTMENT', 'Department.smtpServer', 'SKIPPED'],
      ['SMTP_SERVER', 'LIBRARY_SETTING', 'ILS_SMTP_SERVER', 'EMPTY'],
      ['SMTP_SERVER', 'LIBRARY', 'Library.smtpServer', 'EMPTY'],
      ['SMTP_SERVER', 'GLOBAL_SETTING', 'DEFAULT_SMTP_SERVER', 'USED'],
      ['SMTP_SERVER', 'NEXT_SERVER', 'SmtpServer.nextServer', 'USED'],
      ['SENDER_ADDRESS', 'DEPARTMENT', 'Department.email', 'SKIPPED'],
      ['SENDER_ADDRESS', 'LIBRARY_SETTING', 'ILS_EMAIL', 'EMPTY'],
      ['SENDER_ADDRESS', 'LIBRARY', 'Library.contactEmail', 'USED'],
      ['SENDER_NAME', 'LIBRARY', 'Library.shortName', 'USED'],
    ]);
  });

  it('R10/D6: the short name is the sender name, quoted and encoded as RFC 5322 needs', async () => {
    const config = await resolve(gw(), { libraryId: ids.owning });
    expect(config.sender.name).toBe('Biblioteka "Główna", Kraków');
    expect(config.sender.formatted).toMatch(/^(=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?= ?)+ <bg@glowna\.pl>$/);
    const decoded = config.sender.formatted
      .replace(/ <.*$/, '')
      .split(' ')
      .map((word: string) => Buffer.from(word.slice(10, -2), 'base64'))
      .reduce((all: Buffer, part: Buffer) => Buffer.concat([all, part]), Buffer.alloc(0))
      .toString('utf8');
    expect(decoded).toBe('Biblioteka "Główna", Kraków');
  });

  it('R10: without a short name the sender has no name', async () => {
    const config = await resolve(gw(), { libraryId: ids.anonymous });
    expect(config.sender).toEqual({ address: 'info@noname.org', name: null, formatted: 'info@noname.org' });
  });

  it('D6/D8: a library without any address has NO_SENDER and a null sender', async () => {
    const id = (await createLibrary(gw(), { code: 'MUTE', name: 'Mute' })).id;
    const config = await resolve(gw(), { libraryId: id });
    expect(config.sender).toBeNull();
    expect(config.problems.map((p: any) => [p.code, p.severity])).toEqual([['NO_SENDER', 'ERROR']]);
  });

  it('D8: server problems name their server', async () => {
    const risky = (await createServer(gw(), relay('Risky', { timeoutMs: 1000, allowSsl: true, allowTls: true, requiresAuth: true }))).id;
    const id = (await createLibrary(gw(), { code: 'RISK', name: 'Risky', contactEmail: 'a@risk.org', smtpServerId: risky })).id;
    const config = await resolve(gw(), { libraryId: id });
    expect(config.problems.map((p: any) => [p.code, p.severity, p.server?.name]).sort()).toEqual([
      ['AUTH_WITHOUT_CREDENTIALS', 'ERROR', 'Risky'],
      ['SSL_AND_TLS_BOTH_SET', 'WARNING', 'Risky'],
      ['TIMEOUT_BELOW_RECOMMENDED', 'WARNING', 'Risky'],
    ]);
  });

  it('D5: a cycle written around the API stops the chain with CHAIN_CYCLE', async () => {
    const a = (await createServer(gw(), relay('Loop A'))).id;
    const b = (await createServer(gw(), relay('Loop B', { nextServerId: a }))).id;
    await gw().dataSource.query('UPDATE smtp_server SET nextServerId = ? WHERE id = ?', [Number(b), Number(a)]);
    await gw().services.snapshots?.reload();
    const id = (await createLibrary(gw(), { code: 'LOOP', name: 'Loop', contactEmail: 'a@loop.org', smtpServerId: b })).id;
    const config = await resolve(gw(), { libraryId: id });
    expect(names(config)).toEqual(['Loop B', 'Loop A']);
    expect(config.problems.map((p: any) => [p.code, p.server.name])).toEqual([['CHAIN_CYCLE', 'Loop A']]);
  });

  it('D4: no server anywhere is NO_SMTP_SERVER', async () => {
    await gw().ok(`mutation { clearSetting(input: { key: "DEFAULT_SMTP_SERVER", scope: GLOBAL }) }`);
    try {
      const config = await resolve(gw(), { libraryId: ids.plain });
      expect(config.servers).toEqual([]);
      expect(config.problems.map((p: any) => [p.code, p.severity])).toEqual([['NO_SMTP_SERVER', 'ERROR']]);
    } finally {
      await setSetting(gw(), { key: 'DEFAULT_SMTP_SERVER', scope: 'GLOBAL', value: ids.primary });
    }
  });

  it('the same configuration is reachable from Library and Department', async () => {
    const data = await gw().ok<any>(
      `query Library($id: ID!, $dept: ID!) {
      library(id: $id) { effectiveMailConfig(departmentId: $dept) { servers { name } } }
      department(id: $dept) { effectiveMailConfig(purpose: GENERAL) { servers { name } library { code } } }
    }`,
      { id: ids.plain, dept: ids.plainDept },
    );
    expect(names(data.library.effectiveMailConfig)).toEqual(['Department own', 'Library own']);
    expect(names(data.department.effectiveMailConfig)).toEqual(['Department own', 'Library own']);
    expect(data.department.effectiveMailConfig.library.code).toBe('XYZ');
  });

  it('unknown library or department is NOT_FOUND; a department of another library is BAD_USER_INPUT', async () => {
    const unknownLibrary = await gw().gql(QUERY, { libraryId: '999999' });
    expect(unknownLibrary.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const unknownDepartment = await gw().gql(QUERY, { libraryId: ids.plain, departmentId: '999999' });
    expect(unknownDepartment.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const foreign = await gw().gql(QUERY, { libraryId: ids.plain, departmentId: ids.owningDept });
    expect(foreign.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'departmentId' });
  });

  it('R2: a library-admin resolves own libraries only; support and service resolve all', async () => {
    const admin = await gw().token({ sub: 'admin-xyz', roles: ['library-admin'], libraries: [Number(ids.plain)] });
    expect(names(await resolve(gw(), { libraryId: ids.plain }, admin))).toEqual(['Primary', 'Secondary']);
    const foreign = await gw().gql(QUERY, { libraryId: ids.owning }, admin);
    expect(foreign.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(names(await resolve(gw(), { libraryId: ids.owning }, gw().tokens.service))).toEqual(['Library own']);
    const anonymous = await gw().gql(QUERY, { libraryId: ids.plain }, null);
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
}

describeEachDatabase("effectiveMailConfig (the seed's scenarios)", scenarios);
describeEachDatabase('effectiveMailConfig from the configuration snapshot', scenarios, WITH_SNAPSHOT, ', snapshot');
