import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildSchema,
  getNamedType,
  getNullableType,
  GraphQLField,
  GraphQLInputObjectType,
  GraphQLInputType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
} from 'graphql';
import { describeEachDatabase, TestGateway } from '../support/gateway';
import { unique } from '../support/fixtures';
import { canary, closedPort, dumpDatabaseAsText, rawPassword, Sink, startAuthSink, TRANSPORT_FIELDS } from './helpers';

/**
 * D12: a canary password is stored through the API and then looked for in every response of this
 * file, in the server log and in the raw database: it must appear nowhere but as ciphertext. The
 * only response allowed to carry it is SmtpServer.transport for a mail:credentials service.
 */

const ALL_SERVER_FIELDS = `id name host port protocol username hasPassword allowTls allowSsl requiresAuth connectionTimeoutMs timeoutms: timeoutMs
  hasTlsCa tlsCaSubject spfHint notices version createdAt updatedAt updatedBy nextServer { id name hasPassword }`;
/** A library-admin reads every server field but these (R2); asking for them is FORBIDDEN at the field. */
const LIBRARY_ADMIN_SERVER_FIELDS = ALL_SERVER_FIELDS.replace(/ (username|tlsCaSubject|updatedBy)\b/g, '');

describeEachDatabase('D12: canary password', (gw) => {
  const CANARY = canary();
  /** Forms the canary could take on its way out: as is, base64 (AUTH LOGIN), hex. */
  const FORMS = [CANARY, Buffer.from(CANARY).toString('base64'), Buffer.from(CANARY).toString('hex')];
  const responses: Array<{ label: string; body: string }> = [];
  const allowed: Array<{ label: string; body: string }> = [];
  const canaryServers: string[] = [];
  let sink: Sink;
  let wrongSink: Sink;
  let echoSink: Sink;

  /** Sends a request and records the raw response body for the final search. */
  async function send(label: string, query: string, variables: Record<string, unknown> = {}, token: string | null = gw().tokens.support): Promise<any> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(`${gw().url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    const body = await response.text();
    responses.push({ label, body });
    return JSON.parse(body);
  }

  async function sendOk(label: string, query: string, variables: Record<string, unknown> = {}, token?: string | null): Promise<any> {
    const parsed = await send(label, query, variables, token === undefined ? gw().tokens.support : token);
    if (parsed.errors) throw new Error(`${label}: ${JSON.stringify(parsed.errors)}`);
    return parsed.data;
  }

  function expectNoCanary(where: string, text: string): void {
    for (const form of FORMS) {
      if (text.includes(form)) throw new Error(`the canary password (as ${form === CANARY ? 'plaintext' : 'an encoding'}) leaked into ${where}`);
    }
  }

  beforeAll(async () => {
    sink = await startAuthSink('canary-user', CANARY);
    wrongSink = await startAuthSink('canary-user', 'a-different-password');
    echoSink = await startAuthSink('canary-user', 'yet-another-password', { echo: true });
  });

  afterAll(async () => {
    await sink?.close();
    await wrongSink?.close();
    await echoSink?.close();
  });

  test('D12: store the canary and exercise the API (queries, mutations, sending, verification, failures)', async () => {
    const serverInput = (port: number) => ({
      name: 'Canary relay',
      host: '127.0.0.1',
      port,
      username: 'canary-user',
      password: CANARY,
      requiresAuth: true,
      connectionTimeoutMs: 3_000,
      timeoutMs: 200_000,
    });
    const created = await sendOk('createSmtpServer', `mutation ($input: SmtpServerInput!) { createSmtpServer(input: $input) { ${ALL_SERVER_FIELDS} } }`, {
      input: serverInput(sink.port),
    });
    const serverId: string = created.createSmtpServer.id;
    canaryServers.push(serverId);
    expect(created.createSmtpServer.hasPassword).toBe(true);

    const wrong = await sendOk('createSmtpServer (wrong sink)', `mutation ($input: SmtpServerInput!) { createSmtpServer(input: $input) { id } }`, {
      input: { ...serverInput(wrongSink.port), name: 'Canary wrong relay' },
    });
    const wrongId: string = wrong.createSmtpServer.id;
    canaryServers.push(wrongId);

    const library = await sendOk('createLibrary', `mutation ($input: LibraryInput!) { createLibrary(input: $input) { id } }`, {
      input: { code: `CANARY-${Date.now()}`, name: 'Canary library', shortName: 'CAN', contactEmail: 'canary@example.cz', smtpServerId: serverId },
    });
    const libraryId: string = library.createLibrary.id;
    const department = await sendOk('createDepartment', `mutation ($input: DepartmentInput!) { createDepartment(input: $input) { id } }`, {
      input: { libraryId, name: 'Canary branch', email: 'branch@example.cz', smtpServerId: wrongId },
    });
    const departmentId: string = department.createDepartment.id;
    await sendOk(
      'setSetting',
      `mutation ($l: ID) { setSetting(input: { key: "ILS_SMTP_SERVER", scope: LIBRARY, libraryId: $l, value: "${serverId}" }) { id value smtpServer { id hasPassword } } }`,
      { l: libraryId },
    );

    // reads, as every role that may read
    const admin = await gw().token({ sub: 'canary-librarian', roles: ['library-admin'], libraries: [Number(libraryId)] });
    for (const [who, token] of [
      ['support', gw().tokens.support],
      ['service', gw().tokens.service],
      ['credentials', gw().tokens.credentials],
    ] as const) {
      await sendOk(
        `smtpServers as ${who}`,
        `{ smtpServers { ${ALL_SERVER_FIELDS} previousServers { id } usedByLibraries { id } usedByDepartments { id } } }`,
        {},
        token,
      );
      await sendOk(`smtpServer as ${who}`, `query ($id: ID!) { smtpServer(id: $id) { ${ALL_SERVER_FIELDS} } }`, { id: serverId }, token);
      await sendOk(`settingValues as ${who}`, `{ settingValues { id key value smtpServer { ${ALL_SERVER_FIELDS} } } }`, {}, token);
    }
    const mailConfigWith = (fields: string) => `query ($l: ID!, $d: ID, $p: MailPurpose!) { effectiveMailConfig(libraryId: $l, departmentId: $d, purpose: $p) {
      servers { ${fields} } sender { address name formatted } trace { target source field outcome value note } problems { code severity message server { id } } } }`;
    for (const [token, mailConfig] of [
      [gw().tokens.support, mailConfigWith(ALL_SERVER_FIELDS)],
      [admin, mailConfigWith(LIBRARY_ADMIN_SERVER_FIELDS)],
    ] as const) {
      for (const purpose of ['GENERAL', 'INTERLIBRARY_LOAN']) {
        await sendOk(`effectiveMailConfig ${purpose}`, mailConfig, { l: libraryId, d: departmentId, p: purpose }, token);
        await sendOk(`effectiveMailConfig ${purpose} (library)`, mailConfig, { l: libraryId, d: null, p: purpose }, token);
      }
      await sendOk(
        'library',
        `query ($l: ID!) { library(id: $l) { id smtpServer { id name hasPassword } departments { id smtpServer { id hasPassword } } settings { value } } }`,
        { l: libraryId },
        token,
      );
      await sendOk(
        'effectiveSetting',
        `query ($l: ID) { effectiveSetting(key: "ILS_SMTP_SERVER", libraryId: $l) { key value smtpServer { id name } trace { value note } } }`,
        { l: libraryId },
        token,
      );
    }

    // sending and verifying with the canary (the sink checks it, so the gateway really used it)
    const sent = await sendOk(
      'sendTestMail',
      `mutation ($l: ID!) { sendTestMail(input: { libraryId: $l, to: "reader@example.cz", text: "canary run" }) {
      ok messageId recipient deliveredBy { id } attempts { server { id } ok errorCode responseCode message durationMs } } }`,
      { l: libraryId },
    );
    expect(sent.sendTestMail.ok).toBe(true);
    expect(sink.logins).toContainEqual({ username: 'canary-user', password: CANARY, accepted: true });
    expect(sink.messages.map((m) => m.raw).join('\n')).not.toContain(CANARY);

    const failedSend = await sendOk(
      'sendTestMail (wrong password at the server)',
      `mutation ($l: ID!, $d: ID) { sendTestMail(input: { libraryId: $l, departmentId: $d, to: "reader@example.cz" }) {
      ok attempts { server { id } ok errorCode responseCode message } } }`,
      { l: libraryId, d: departmentId },
    );
    expect(failedSend.sendTestMail.attempts[0]).toMatchObject({ ok: false, errorCode: 'AUTH_FAILED' });
    expect(wrongSink.logins).toContainEqual({ username: 'canary-user', password: CANARY, accepted: false });

    const verified = await sendOk('verifySmtpServer', `mutation ($id: ID!) { verifySmtpServer(id: $id) { ok reachedStage errorCode message } }`, {
      id: serverId,
    });
    expect(verified.verifySmtpServer).toMatchObject({ ok: true, reachedStage: 'DONE' });
    const verifiedWrong = await sendOk('verifySmtpServer (wrong)', `mutation ($id: ID!) { verifySmtpServer(id: $id) { ok reachedStage errorCode message } }`, {
      id: wrongId,
    });
    expect(verifiedWrong.verifySmtpServer).toMatchObject({ ok: false, errorCode: 'AUTH_FAILED' });

    // a server that echoes the credentials it got in its refusal: the summary must not pass them on
    const echo = await sendOk('createSmtpServer (echoing server)', `mutation ($input: SmtpServerInput!) { createSmtpServer(input: $input) { id } }`, {
      input: { ...serverInput(echoSink.port), name: 'Canary echo relay' },
    });
    canaryServers.push(echo.createSmtpServer.id);
    const echoVerify = await sendOk(
      'verifySmtpServer (echoing server)',
      `mutation ($id: ID!) { verifySmtpServer(id: $id) { ok reachedStage errorCode message } }`,
      { id: echo.createSmtpServer.id },
    );
    expect(echoVerify.verifySmtpServer).toMatchObject({ ok: false, errorCode: 'AUTH_FAILED' });
    expect(echoSink.logins).toContainEqual({ username: 'canary-user', password: CANARY, accepted: false });
    await sendOk('updateLibrary (echoing server)', `mutation ($l: ID!, $s: ID) { updateLibrary(id: $l, input: { smtpServerId: $s }) { id } }`, {
      l: libraryId,
      s: echo.createSmtpServer.id,
    });
    const echoSend = await sendOk(
      'sendTestMail (echoing server)',
      `mutation ($l: ID!) { sendTestMail(input: { libraryId: $l, to: "reader@example.cz" }) {
      ok attempts { ok errorCode responseCode message } } }`,
      { l: libraryId },
      admin,
    );
    expect(echoSend.sendTestMail.attempts[0]).toMatchObject({ ok: false, errorCode: 'AUTH_FAILED', responseCode: 535 });
    // the text of an AUTH reply is never passed on, masked or not: only its code
    expect(echoSend.sendTestMail.attempts[0].message).toBe('The server refused the login (535)');
    expect(echoVerify.verifySmtpServer.message).toBe('The server refused the login (535)');
    await sendOk('updateLibrary (back)', `mutation ($l: ID!, $s: ID) { updateLibrary(id: $l, input: { smtpServerId: $s }) { id } }`, {
      l: libraryId,
      s: serverId,
    });

    // the canary goes in again through updateSmtpServer, after a D12 clear
    const moved = await sendOk(
      'updateSmtpServer (port: clears)',
      `mutation ($id: ID!, $port: Int) { updateSmtpServer(id: $id, input: { port: $port }) { ${ALL_SERVER_FIELDS} } }`,
      { id: wrongId, port: sink.port },
    );
    expect(moved.updateSmtpServer.hasPassword).toBe(false);
    const again = await sendOk(
      'updateSmtpServer (password)',
      `mutation ($id: ID!, $p: String) { updateSmtpServer(id: $id, input: { password: $p, name: "Canary relay 2" }) { ${ALL_SERVER_FIELDS} } }`,
      { id: wrongId, p: CANARY },
    );
    expect(again.updateSmtpServer.hasPassword).toBe(true);
    const updated = await sendOk(
      'updateSmtpServer (password + host)',
      `mutation ($id: ID!, $p: String) { updateSmtpServer(id: $id, input: { password: $p, host: "localhost" }) { ${ALL_SERVER_FIELDS} } }`,
      { id: serverId, p: CANARY },
    );
    expect(updated.updateSmtpServer.hasPassword).toBe(true);

    // failures that carry the canary in their input
    const failures: Array<[string, string, Record<string, unknown>, string]> = [
      [
        'password with a line break',
        `mutation ($id: ID!, $p: String) { updateSmtpServer(id: $id, input: { password: $p }) { id } }`,
        { id: serverId, p: `${CANARY}\r\n` },
        'BAD_USER_INPUT',
      ],
      [
        'password with NUL',
        `mutation ($id: ID!, $p: String) { updateSmtpServer(id: $id, input: { password: $p }) { id } }`,
        { id: serverId, p: `${CANARY}\0` },
        'BAD_USER_INPUT',
      ],
      [
        'password too long',
        `mutation ($id: ID!, $p: String) { updateSmtpServer(id: $id, input: { password: $p }) { id } }`,
        { id: serverId, p: CANARY.repeat(40) },
        'BAD_USER_INPUT',
      ],
      [
        'stale version',
        `mutation ($id: ID!, $p: String) { updateSmtpServer(id: $id, input: { password: $p }, expectedVersion: 1) { id } }`,
        { id: serverId, p: CANARY },
        'CONFLICT',
      ],
      [
        'invalid port on create',
        `mutation ($input: SmtpServerInput!) { createSmtpServer(input: $input) { id } }`,
        { input: { ...serverInput(0), name: 'Bad port' } },
        'BAD_USER_INPUT',
      ],
      [
        'metadata host on create',
        `mutation ($input: SmtpServerInput!) { createSmtpServer(input: $input) { id } }`,
        { input: { ...serverInput(25), host: '169.254.169.254', name: 'Metadata' } },
        'BAD_USER_INPUT',
      ],
      [
        'wrong type for password',
        `mutation ($input: SmtpServerInput!) { createSmtpServer(input: $input) { id } }`,
        { input: { ...serverInput(25), password: [CANARY] } },
        'BAD_USER_INPUT',
      ],
      [
        'password on a library (unknown field)',
        `mutation ($input: LibraryInput!) { createLibrary(input: $input) { id } }`,
        { input: { code: 'X', name: 'X', password: CANARY } },
        'BAD_USER_INPUT',
      ],
      [
        'as a service',
        `mutation ($id: ID!, $p: String) { updateSmtpServer(id: $id, input: { password: $p }) { id } }`,
        { id: serverId, p: CANARY },
        'FORBIDDEN',
      ],
      [
        'canary in a query literal',
        `mutation { updateSmtpServer(id: "${serverId}", input: { password: "${CANARY}", port: -1 }) { id } }`,
        {},
        'BAD_USER_INPUT',
      ],
    ];
    for (const [label, query, variables, code] of failures) {
      const result = await send(label, query, variables, code === 'FORBIDDEN' ? gw().tokens.service : gw().tokens.support);
      expect(result.errors?.map((e: { extensions?: { code?: string } }) => e.extensions?.code)).toEqual([code]);
    }

    // transport: FORBIDDEN for everyone but a mail:credentials service; for that one it is the one allowed place
    const transportQuery = `query ($id: ID!) { smtpServer(id: $id) { id transport { ${TRANSPORT_FIELDS} } } }`;
    for (const token of [gw().tokens.support, gw().tokens.service, admin, null]) {
      const result = await send('transport (refused)', transportQuery, { id: serverId }, token);
      expect(result.errors?.length).toBeGreaterThan(0);
    }
    const before = responses.length;
    const transport = await sendOk('transport (mail:credentials)', transportQuery, { id: serverId }, gw().tokens.credentials);
    expect(transport.smtpServer.transport.auth).toEqual({ user: 'canary-user', pass: CANARY });
    allowed.push(...responses.splice(before));

    // a ciphertext that does not decrypt on another row is an error without the plaintext
    const stolen = await sendOk('createSmtpServer (victim)', `mutation ($input: SmtpServerInput!) { createSmtpServer(input: $input) { id } }`, {
      input: { ...serverInput(sink.port), name: 'Canary victim', password: 'something-else' },
    });
    await gw().dataSource.query('UPDATE smtp_server SET password = ? WHERE id = ?', [await rawPassword(gw(), serverId), Number(stolen.createSmtpServer.id)]);
    const undecryptable = await send('transport (copied ciphertext)', transportQuery, { id: stolen.createSmtpServer.id }, gw().tokens.credentials);
    expect(undecryptable.errors?.[0].message).toMatch(/does not decrypt/);
    await sendOk('verifySmtpServer (copied ciphertext)', `mutation ($id: ID!) { verifySmtpServer(id: $id) { ok errorCode message } }`, {
      id: stolen.createSmtpServer.id,
    });

    // history
    for (const token of [gw().tokens.support, admin]) {
      await sendOk('auditLog', `{ auditLog(limit: 500) { id at actor action entityType entityId changes { field before after } } }`, {}, token);
    }

    // and a delete of a server that holds the canary
    const throwaway = await sendOk('createSmtpServer (to delete)', `mutation ($input: SmtpServerInput!) { createSmtpServer(input: $input) { id } }`, {
      input: { ...serverInput(25), name: 'Canary deleted' },
    });
    await sendOk('deleteSmtpServer', `mutation ($id: ID!) { deleteSmtpServer(id: $id) }`, { id: throwaway.createSmtpServer.id });
    expect(responses.length).toBeGreaterThan(40);
  });

  test('D12: the canary is in no response (except the allowed transport), no log line and no database row', async () => {
    expect(responses.length).toBeGreaterThan(0);
    expect(allowed).toHaveLength(1);
    expect(allowed[0].body).toContain(CANARY);

    for (const { label, body } of responses) expectNoCanary(`the response to "${label}"`, body);
    expect(gw().logLines.length).toBeGreaterThan(0);
    for (const line of gw().logLines) expectNoCanary('the server log', line);

    const rows = await dumpDatabaseAsText(gw());
    expect(rows.some((r) => r.startsWith('audit_entry: '))).toBe(true);
    for (const row of rows) expectNoCanary('the database', row);
    // positive control: the dump does cover the password column (the ciphertext is in it)
    expect(rows.join('\n')).toContain(await rawPassword(gw(), canaryServers[0]));

    // it is stored, as ciphertext
    for (const id of canaryServers) {
      expect(await rawPassword(gw(), id)).toMatch(/^v1:[0-9a-f]{12}:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    }
  });

  test('D12: the raw database holds no canary (SQLite: every page of the image, free pages included; MariaDB: every value as HEX)', async () => {
    if (gw().kind === 'mysql') {
      const hex = Buffer.from(CANARY).toString('hex').toUpperCase();
      const columns: Array<{ t: string; c: string }> = await gw().dataSource.query(
        'SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()',
      );
      expect(columns.length).toBeGreaterThan(10);
      // positive control: the same search finds the stored ciphertext
      const sealedHex = Buffer.from((await rawPassword(gw(), canaryServers[0])) as string)
        .toString('hex')
        .toUpperCase();
      const [{ found }] = await gw().dataSource.query('SELECT COUNT(*) AS found FROM smtp_server WHERE INSTR(HEX(password), ?) > 0', [sealedHex]);
      expect(Number(found)).toBeGreaterThanOrEqual(1);
      for (const { t, c } of columns) {
        const [{ n }] = await gw().dataSource.query(`SELECT COUNT(*) AS n FROM \`${t}\` WHERE INSTR(HEX(\`${c}\`), ?) > 0`, [hex]);
        expect(`${t}.${c}: ${Number(n)}`).toBe(`${t}.${c}: 0`);
      }
      return;
    }
    const driver = gw().dataSource.driver as unknown as { databaseConnection: { serialize(): Buffer } };
    const image = driver.databaseConnection.serialize();
    expect(image.length).toBeGreaterThan(4096);
    expect(image.includes(Buffer.from((await rawPassword(gw(), canaryServers[0])) as string))).toBe(true);
    for (const form of FORMS) expect(image.includes(Buffer.from(form))).toBe(false);
    // and the same through SQL: VACUUM INTO writes the in-memory database to a file
    const dir = mkdtempSync(join(tmpdir(), 'mcg-canary-'));
    try {
      const file = join(dir, 'copy.sqlite');
      await gw().dataSource.query(`VACUUM INTO '${file}'`);
      const copy = readFileSync(file);
      expect(copy.includes(Buffer.from('smtp_server'))).toBe(true);
      for (const form of FORMS) expect(copy.includes(Buffer.from(form))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * No echo: a canary goes through every argument and every input field of every operation of the
 * schema, as a variable and as a literal, with a support token, without a token, and on a
 * production gateway (introspection off). Error messages and extensions name the field and the
 * rule, never the value; a value stored and returned as data (a name, a recipient) is no echo, so
 * only `errors` are searched.
 */
const SCHEMA = buildSchema(readFileSync(join(__dirname, '../../schema.graphql'), 'utf8'));

interface WalkFixture {
  serverId: string;
  libraryId: string;
  departmentId: string;
  settingKey: string;
}

/** Values that pass validation, so the canary in one place is not masked by an error elsewhere. */
const BASE: Record<string, (f: WalkFixture) => Record<string, unknown>> = {
  auditLog: () => ({}),
  department: (f) => ({ id: f.departmentId }),
  library: (f) => ({ id: f.libraryId }),
  effectiveMailConfig: (f) => ({ libraryId: f.libraryId, departmentId: f.departmentId, purpose: 'GENERAL' }),
  checkSenderDomain: (f) => ({ sender: 'notices@example.cz', serverIds: [f.serverId] }),
  settingValues: () => ({ key: 'ILS_EMAIL' }),
  effectiveSetting: (f) => ({ key: 'ILS_EMAIL', libraryId: f.libraryId }),
  smtpServer: (f) => ({ id: f.serverId }),
  createDepartment: (f) => ({ input: { libraryId: f.libraryId, name: 'Walk branch', email: 'branch@example.cz' } }),
  updateDepartment: (f) => ({ id: f.departmentId, input: { name: 'Walk branch' } }),
  deleteDepartment: () => ({ id: '999999' }),
  createLibrary: () => ({ input: { code: unique('WALK'), name: 'Walk library', contactEmail: 'walk@example.cz' } }),
  updateLibrary: (f) => ({ id: f.libraryId, input: { name: 'Walk library' } }),
  deleteLibrary: () => ({ id: '999999' }),
  sendTestMail: (f) => ({ input: { libraryId: f.libraryId, to: 'reader@example.cz' } }),
  verifySmtpServer: () => ({ id: '999999' }),
  createSettingDefinition: () => ({ input: { key: unique('WALK').toUpperCase(), valueType: 'STRING', allowedScopes: ['GLOBAL'] } }),
  deleteSettingDefinition: (f) => ({ key: f.settingKey }),
  setSetting: (f) => ({ input: { key: 'ILS_EMAIL', scope: 'LIBRARY', libraryId: f.libraryId, value: 'ill@example.cz' } }),
  clearSetting: (f) => ({ input: { key: 'ILS_EMAIL', scope: 'LIBRARY', libraryId: f.libraryId } }),
  createSmtpServer: () => ({ input: { name: 'Walk relay', host: 'smtp.example.org', port: 587 } }),
  updateSmtpServer: (f) => ({ id: f.serverId, input: { name: 'Walk relay' } }),
  deleteSmtpServer: () => ({ id: '999999' }),
};

/** Every place a client can put a value: [operation, argument path], nested input fields included. */
function valuePaths(): Array<{ root: 'query' | 'mutation'; field: GraphQLField<unknown, unknown>; path: string[] }> {
  const out: Array<{ root: 'query' | 'mutation'; field: GraphQLField<unknown, unknown>; path: string[] }> = [];
  const walk = (root: 'query' | 'mutation', field: GraphQLField<unknown, unknown>, type: GraphQLInputType, path: string[], seen: Set<string>) => {
    out.push({ root, field, path });
    const named = getNamedType(type);
    if (!isInputObjectType(named) || seen.has(named.name)) return;
    for (const inner of Object.values(named.getFields())) walk(root, field, inner.type, [...path, inner.name], new Set([...seen, named.name]));
  };
  for (const [root, type] of [
    ['query', SCHEMA.getQueryType()],
    ['mutation', SCHEMA.getMutationType()],
  ] as const) {
    for (const field of Object.values(type!.getFields())) for (const arg of field.args) walk(root, field, arg.type, [arg.name], new Set());
  }
  return out;
}

function typeAt(field: GraphQLField<unknown, unknown>, path: string[]): GraphQLInputType {
  let type: GraphQLInputType = field.args.find((a) => a.name === path[0])!.type;
  for (const name of path.slice(1)) type = (getNamedType(type) as GraphQLInputObjectType).getFields()[name].type;
  return type;
}

/** The base arguments with the canary put at `path` (as a one-element list where a list is expected). */
function argumentsWith(base: Record<string, unknown>, field: GraphQLField<unknown, unknown>, path: string[], canaryValue: unknown): Record<string, unknown> {
  const args: Record<string, unknown> = structuredClone(base);
  let holder: Record<string, unknown> = args;
  for (const name of path.slice(0, -1)) {
    holder[name] = { ...((holder[name] as Record<string, unknown>) ?? {}) };
    holder = holder[name] as Record<string, unknown>;
  }
  holder[path[path.length - 1]] = isListType(getNullableType(typeAt(field, path))) ? [canaryValue] : canaryValue;
  return args;
}

/** A GraphQL literal of a value; the canary is always a string literal, whatever the type wants. */
function literal(value: unknown, type: GraphQLInputType): string {
  if (value === null || value === undefined) return 'null';
  const nullable = getNullableType(type);
  if (typeof value === 'string' && value.startsWith('CANARY')) return JSON.stringify(value);
  if (isListType(nullable)) return `[${(value as unknown[]).map((v) => literal(v, nullable.ofType)).join(', ')}]`;
  if (isInputObjectType(nullable)) {
    const fields = nullable.getFields();
    return `{ ${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}: ${literal(v, fields[k].type)}`)
      .join(', ')} }`;
  }
  if (isEnumType(nullable)) return String(value);
  return JSON.stringify(value);
}

function operation(root: string, field: GraphQLField<unknown, unknown>, args: Record<string, unknown>, inline: boolean): string {
  const given = field.args.filter((a) => args[a.name] !== undefined);
  const declared = given.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const passed = given.map((a) => `${a.name}: ${inline ? literal(args[a.name], a.type) : `$${a.name}`}`).join(', ');
  const selection = isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
  return `${root}${!inline && declared ? ` (${declared})` : ''} { ${field.name}${passed ? `(${passed})` : ''}${selection} }`;
}

function canaryWalk(gw: () => TestGateway, production: boolean): void {
  const CANARY = canary();
  const HUGE = `${CANARY}${'7'.repeat(500_000)}`;
  const paths = valuePaths();
  let fixture: WalkFixture;

  beforeAll(async () => {
    const server = await gw().ok<{ createSmtpServer: { id: string } }>(`mutation ($input: SmtpServerInput!) { createSmtpServer(input: $input) { id } }`, {
      input: { name: 'Walk relay', host: '127.0.0.1', port: await closedPort(), connectionTimeoutMs: 500 },
    });
    const serverId = server.createSmtpServer.id;
    const library = await gw().ok<{ createLibrary: { id: string } }>(`mutation ($input: LibraryInput!) { createLibrary(input: $input) { id } }`, {
      input: { code: unique('WALK'), name: 'Walk library', contactEmail: 'walk@example.cz', smtpServerId: serverId },
    });
    const libraryId = library.createLibrary.id;
    const department = await gw().ok<{ createDepartment: { id: string } }>(`mutation ($input: DepartmentInput!) { createDepartment(input: $input) { id } }`, {
      input: { libraryId, name: 'Walk branch' },
    });
    const settingKey = unique('WALKDEF').toUpperCase();
    await gw().ok(`mutation ($input: SettingDefinitionInput!) { createSettingDefinition(input: $input) { key } }`, {
      input: { key: settingKey, valueType: 'STRING', allowedScopes: ['GLOBAL'] },
    });
    fixture = { serverId, libraryId, departmentId: department.createDepartment.id, settingKey };
  });

  async function post(query: string, variables: Record<string, unknown>, token: string | null): Promise<{ status: number; errors: unknown[] }> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(`${gw().url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as { errors?: unknown[] };
    return { status: response.status, errors: body.errors ?? [] };
  }

  test('the walk covers every argument and input field of every operation of the schema', () => {
    const operations = new Set(paths.map((p) => p.field.name));
    for (const type of [SCHEMA.getQueryType()!, SCHEMA.getMutationType()!]) {
      for (const field of Object.values(type.getFields())) if (field.args.length > 0) expect(operations).toContain(field.name);
    }
    expect(paths.map((p) => `${p.field.name}.${p.path.join('.')}`)).toEqual(
      expect.arrayContaining([
        'createLibrary.input.contactEmail',
        'updateSmtpServer.input.password',
        'setSetting.input.value',
        'sendTestMail.input.to',
        'smtpServer.id',
      ]),
    );
  });

  test.each([
    ['with a support token', 'support'],
    ['without a token', null],
  ] as const)(`D10: the canary sent through every argument comes back in no error (%s${production ? ', production' : ''})`, async (_label, who) => {
    const token = who === null ? null : gw().tokens[who];
    const leaks: string[] = [];
    let refused = 0;
    for (const { root, field, path } of paths) {
      const base = BASE[field.name]?.(fixture) ?? {};
      // a 500,000-character id must not come back either (once is enough: with a token)
      const values = who && getNamedType(typeAt(field, path)).name === 'ID' ? [CANARY, HUGE] : [CANARY];
      for (const value of values) {
        const args = argumentsWith(base, field, path, value);
        for (const inline of [false, true]) {
          const result = await post(operation(root, field, args, inline), inline ? {} : args, token);
          if (result.errors.length > 0) refused += 1;
          const text = JSON.stringify(result.errors);
          if (text.includes(CANARY)) leaks.push(`${field.name}(${path.join('.')}) ${inline ? 'as a literal' : 'as a variable'}: ${text.slice(0, 300)}`);
        }
      }
    }
    expect(leaks).toEqual([]);
    // positive control: most of those requests were refused, so their errors were really searched
    expect(refused).toBeGreaterThan(paths.length);
  });
  test(`D10: ${production ? 'no "Did you mean" suggestion while introspection is off' : 'suggestions are given while introspection is on'}, in coercion and in validation`, async () => {
    const misspelt: Array<[string, Record<string, unknown>]> = [
      ['mutation ($input: SmtpServerUpdateInput!) { updateSmtpServer(id: "1", input: $input) { id } }', { input: { passwrd: 'x' } }],
      ['mutation ($p: MailPurpose!) { sendTestMail(input: { libraryId: "1", to: "a@example.cz", purpose: $p }) { ok } }', { p: 'GENERL' }],
      ['mutation { updateSmtpServer(id: "1", input: { passwrd: "x" }) { id } }', {}],
      ['{ smtpServerz { id } }', {}],
    ];
    for (const token of [null, gw().tokens.support]) {
      for (const [query, variables] of misspelt) {
        const { errors } = await post(query, variables, token);
        const messages = (errors as Array<{ message: string }>).map((e) => e.message).join(' | ');
        expect(messages).not.toBe('');
        // Without a token the request is refused before its document is read, so nothing is suggested.
        if (production || token === null) expect(messages).not.toMatch(/Did you mean/);
        else expect(messages).toMatch(/Did you mean/);
      }
    }
  });
}

describeEachDatabase('D10: no value echoed in errors', (gw) => canaryWalk(gw, false));
describeEachDatabase(
  'D10: no value echoed in errors',
  (gw) => canaryWalk(gw, true),
  {
    production: true,
    graphql: { introspection: false, maxDepth: 12, maxAliases: 30, maxFields: 500, maxBodyBytes: 1024 * 1024, maxTokens: 20_000 },
  },
  ' production',
);
