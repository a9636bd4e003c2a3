import { DELETE_SMTP_SERVER } from '../support/documents';
import { describeEachDatabase } from '../support/gateway';
import { expectNothingWritten, tableState } from '../support/db-state';
import { expectError } from '../support/expect-error';
import { createDepartment, createLibrary, createServer, serverInput, unique } from '../support/fixtures';

/**
 * SMTP servers through the real HTTP API on both databases: R1 (the record), R11/D5 (next
 * server links, no cycles), D10 (validation naming the field, nothing written on failure,
 * IN_USE, versions, audit columns) and D12 (the password is write-only).
 */

const SERVER_FIELDS = `
  id name host port protocol username hasPassword allowTls allowSsl requiresAuth
  connectionTimeoutMs timeoutMs version createdAt updatedAt updatedBy
  nextServer { id name }
  previousServers { id name }
  usedByLibraries { id code }
  usedByDepartments { id name }
`;

const CREATE = `mutation CreateSmtpServer($input: SmtpServerInput!) { createSmtpServer(input: $input) { ${SERVER_FIELDS} } }`;
const UPDATE = `mutation UpdateSmtpServer($id: ID!, $input: SmtpServerUpdateInput!, $v: Int) { updateSmtpServer(id: $id, input: $input, expectedVersion: $v) { ${SERVER_FIELDS} } }`;
const GET = `query SmtpServer($id: ID!) { smtpServer(id: $id) { ${SERVER_FIELDS} } }`;
const LIST = `{ smtpServers { ${SERVER_FIELDS} } }`;

const PASSWORD = 'Pw-7f3c9e21-do-not-leak';

describeEachDatabase('SMTP servers', (gw) => {
  async function updateServer(id: string, input: Record<string, unknown>, v?: number): Promise<Record<string, any>> {
    return (await gw().ok<{ updateSmtpServer: Record<string, any> }>(UPDATE, { id, input, v })).updateSmtpServer;
  }
  async function getServer(id: string): Promise<Record<string, any> | null> {
    return (await gw().ok<{ smtpServer: Record<string, any> | null }>(GET, { id })).smtpServer;
  }
  /** The raw response text, to check that a secret appears nowhere in it. */
  async function rawText(query: string, variables: Record<string, unknown>): Promise<string> {
    const response = await fetch(`${gw().url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gw().tokens.support}` },
      body: JSON.stringify({ query, variables }),
    });
    return response.text();
  }

  describe('create / read / update / delete', () => {
    test('R1: createSmtpServer stores every field, with the input defaults', async () => {
      const created = await createServer<Record<string, any>>(
        gw(),
        { name: 'Primary', host: 'smtp.gmail.com', port: 465, username: 'mailer', allowSsl: true, requiresAuth: true },
        { document: CREATE },
      );
      expect(created).toMatchObject({
        name: 'Primary',
        host: 'smtp.gmail.com',
        port: 465,
        protocol: 'SMTP',
        username: 'mailer',
        hasPassword: false,
        allowTls: false,
        allowSsl: true,
        requiresAuth: true,
        connectionTimeoutMs: 30000,
        timeoutMs: 180000,
        nextServer: null,
        previousServers: [],
        usedByLibraries: [],
        usedByDepartments: [],
        version: 1,
        updatedBy: 'support-1',
      });
      expect(created.id).toMatch(/^[1-9][0-9]*$/);
      expect(new Date(created.createdAt).getTime()).not.toBeNaN();
      expect(created.updatedAt).toBe(created.createdAt);

      const read = await getServer(created.id);
      expect(read).toEqual(created);
      const list = (await gw().ok<{ smtpServers: Array<Record<string, any>> }>(LIST)).smtpServers;
      expect(list.find((s) => s.id === created.id)).toEqual(created);
    });

    test('R1: explicit flags and timeouts are stored as given', async () => {
      const created = await createServer<Record<string, any>>(
        gw(),
        { allowTls: true, allowSsl: false, connectionTimeoutMs: 5000, timeoutMs: 240000, protocol: 'SMTP' },
        { document: CREATE },
      );
      expect(created).toMatchObject({ allowTls: true, allowSsl: false, connectionTimeoutMs: 5000, timeoutMs: 240000, protocol: 'SMTP' });
    });

    test('D10: updateSmtpServer changes the given fields, increments version and records who updated', async () => {
      const created = await createServer<Record<string, any>>(gw(), { username: 'old-user' }, { document: CREATE });
      const alice = await gw().token({ sub: 'alice@support', roles: ['support'] });
      const result = await gw().gql<{ updateSmtpServer: Record<string, any> }>(
        UPDATE,
        { id: created.id, input: { name: 'Renamed', host: 'mail.example.net', port: 2525, allowTls: true, timeoutMs: 200000 } },
        alice,
      );
      expect(result.errors).toBeUndefined();
      const updated = result.data!.updateSmtpServer;
      expect(updated).toMatchObject({
        name: 'Renamed',
        host: 'mail.example.net',
        port: 2525,
        allowTls: true,
        timeoutMs: 200000,
        version: 2,
        updatedBy: 'alice@support',
      });
      expect(updated.createdAt).toBe(created.createdAt);
      expect(new Date(updated.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(created.updatedAt).getTime());
      expect(await getServer(created.id)).toEqual(updated);

      const again = await updateServer(created.id, { port: 25 });
      expect(again.version).toBe(3);
      expect(again.updatedBy).toBe('support-1');
    });

    test('D10: omitted update fields stay unchanged', async () => {
      const next = await createServer<Record<string, any>>(gw(), {}, { document: CREATE });
      const created = await createServer<Record<string, any>>(
        gw(),
        {
          username: 'keep-me',
          password: PASSWORD,
          allowSsl: true,
          requiresAuth: true,
          connectionTimeoutMs: 7000,
          timeoutMs: 190000,
          nextServerId: next.id,
        },
        { document: CREATE },
      );
      const updated = await updateServer(created.id, { name: 'Only the name' });
      const { name, version, updatedAt: _updatedAt, ...rest } = updated;
      const { name: _oldName, version: oldVersion, updatedAt: _oldUpdatedAt, ...oldRest } = created;
      expect(name).toBe('Only the name');
      expect(version).toBe(oldVersion + 1);
      expect(rest).toEqual(oldRest);
      expect(rest.hasPassword).toBe(true);
      expect(rest.nextServer).toEqual({ id: next.id, name: next.name });
    });

    test('D10: explicit null clears username and nextServerId', async () => {
      const next = await createServer<Record<string, any>>(gw(), {}, { document: CREATE });
      const created = await createServer<Record<string, any>>(gw(), { username: 'someone', nextServerId: next.id }, { document: CREATE });
      expect(created.nextServer?.id).toBe(next.id);
      const updated = await updateServer(created.id, { username: null, nextServerId: null });
      expect(updated.username).toBeNull();
      expect(updated.nextServer).toBeNull();
      const read = await getServer(next.id);
      expect(read!.previousServers).toEqual([]);
    });

    test('D10: deleteSmtpServer removes an unreferenced server and returns its id', async () => {
      const created = await createServer<Record<string, any>>(gw(), {}, { document: CREATE });
      const before = await tableState(gw());
      const data = await gw().ok<{ deleteSmtpServer: string }>(DELETE_SMTP_SERVER, { id: created.id });
      expect(data.deleteSmtpServer).toBe(created.id);
      expect(await getServer(created.id)).toBeNull();
      const after = await tableState(gw());
      expect(after.counts.smtp_server).toBe(before.counts.smtp_server - 1);
    });

    test('smtpServer(id) of an unknown or malformed id is null', async () => {
      expect(await getServer('987654')).toBeNull();
      expect(await getServer('not-a-number')).toBeNull();
    });

    test('D10: update and delete of an unknown server are NOT_FOUND and write nothing', async () => {
      expectError(await expectNothingWritten(gw(), () => gw().gql(UPDATE, { id: '987654', input: { name: 'x' } })), 'NOT_FOUND');
      expectError(await expectNothingWritten(gw(), () => gw().gql(DELETE_SMTP_SERVER, { id: '987654' })), 'NOT_FOUND');
    });
  });

  describe('D12: the password is write-only', () => {
    test('D12: hasPassword is true with a password and false without', async () => {
      const withPassword = await createServer<Record<string, any>>(gw(), { username: 'u', password: PASSWORD, requiresAuth: true }, { document: CREATE });
      const without = await createServer<Record<string, any>>(gw(), {}, { document: CREATE });
      expect(withPassword.hasPassword).toBe(true);
      expect(without.hasPassword).toBe(false);
      const empty = await createServer<Record<string, any>>(gw(), { password: '' }, { document: CREATE });
      expect(empty.hasPassword).toBe(false);
    });

    test('D12: setting and clearing the password through update toggles hasPassword', async () => {
      const created = await createServer<Record<string, any>>(gw(), {}, { document: CREATE });
      expect((await updateServer(created.id, { password: PASSWORD })).hasPassword).toBe(true);
      expect((await updateServer(created.id, { password: null })).hasPassword).toBe(false);
    });

    test('D12: no response contains the password, whatever fields are asked for', async () => {
      const next = await createServer<Record<string, any>>(gw(), { password: PASSWORD }, { document: CREATE });
      const created = await createServer<Record<string, any>>(
        gw(),
        { username: 'mailer', password: PASSWORD, requiresAuth: true, nextServerId: next.id },
        { document: CREATE },
      );
      const library = await createLibrary(gw(), { smtpServerId: created.id });
      await createDepartment(gw(), library.id, { smtpServerId: created.id });
      const texts = [
        await rawText(CREATE, { input: serverInput({ password: PASSWORD }) }),
        await rawText(UPDATE, { id: created.id, input: { password: PASSWORD } }),
        await rawText(GET, { id: created.id }),
        await rawText(LIST, {}),
        await rawText(`query SmtpServer($id: ID!) { smtpServer(id: $id) { previousServers { ${SERVER_FIELDS} } nextServer { ${SERVER_FIELDS} } } }`, {
          id: next.id,
        }),
        await rawText(`{ libraries { smtpServer { ${SERVER_FIELDS} } departments { smtpServer { ${SERVER_FIELDS} } } } }`, {}),
        // a failing write must not echo the secret in its error either
        await rawText(CREATE, { input: serverInput({ password: PASSWORD, port: 0 }) }),
        await rawText(UPDATE, { id: created.id, input: { password: PASSWORD, host: 'bad host' } }),
      ];
      for (const text of texts) {
        expect(text.length).toBeGreaterThan(0);
        expect(text).not.toContain(PASSWORD);
      }
      expect(gw().logLines.join('\n')).not.toContain(PASSWORD);
    });

    test('D12: SmtpServer has no password field to query', async () => {
      const created = await createServer<Record<string, any>>(gw(), { password: PASSWORD }, { document: CREATE });
      const result = await gw().gql(`query SmtpServer($id: ID!) { smtpServer(id: $id) { id password } }`, { id: created.id });
      expect(result.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(JSON.stringify(result)).not.toContain(PASSWORD);
    });
  });

  describe('D10: validation names the field and writes nothing', () => {
    const invalidCreates: Array<[string, Record<string, unknown>, string]> = [
      ['port 0', { port: 0 }, 'port'],
      ['port 70000', { port: 70000 }, 'port'],
      ['negative port', { port: -25 }, 'port'],
      ['connectionTimeoutMs 0', { connectionTimeoutMs: 0 }, 'connectionTimeoutMs'],
      ['connectionTimeoutMs negative', { connectionTimeoutMs: -1 }, 'connectionTimeoutMs'],
      ['timeoutMs 0', { timeoutMs: 0 }, 'timeoutMs'],
      ['timeoutMs negative', { timeoutMs: -180000 }, 'timeoutMs'],
      ['empty name', { name: '' }, 'name'],
      ['blank name', { name: '   ' }, 'name'],
      ['empty host', { host: '' }, 'host'],
      ['host with spaces', { host: 'smtp example.org' }, 'host'],
      ['CR/LF in name', { name: 'Main\r\nBcc: x@evil.test' }, 'name'],
      ['LF in name', { name: 'Main\nserver' }, 'name'],
      ['CR/LF in username', { username: 'user\r\nRCPT TO:<x@evil.test>' }, 'username'],
      ['CR/LF in password', { password: 'secret\r\nQUIT' }, 'password'],
      ['unknown nextServerId', { nextServerId: '987654' }, 'nextServerId'],
      ['malformed nextServerId', { nextServerId: 'abc' }, 'nextServerId'],
    ];

    test.each(invalidCreates)('D10: createSmtpServer with %s is BAD_USER_INPUT on that field', async (_title, overrides, field) => {
      const result = await expectNothingWritten(gw(), () => gw().gql(CREATE, { input: serverInput(overrides) }));
      expectError(result, 'BAD_USER_INPUT', { field });
      expect(result.data).toBeNull();
    });

    test('R1: a protocol other than SMTP is refused before anything is written', async () => {
      const result = await expectNothingWritten(gw(), () => gw().gql(CREATE, { input: serverInput({ protocol: 'POP3' }) }));
      expectError(result, 'BAD_USER_INPUT');
      const literal = await expectNothingWritten(gw(), () =>
        gw().gql(`mutation { createSmtpServer(input: { name: "x", host: "smtp.example.org", port: 25, protocol: IMAP }) { id } }`),
      );
      expect(literal.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    });

    const invalidUpdates: Array<[string, Record<string, unknown>, string]> = [
      ['port 0', { port: 0 }, 'port'],
      ['port 70000', { port: 70000 }, 'port'],
      ['connectionTimeoutMs 0', { connectionTimeoutMs: 0 }, 'connectionTimeoutMs'],
      ['timeoutMs -1', { timeoutMs: -1 }, 'timeoutMs'],
      ['empty name', { name: '' }, 'name'],
      ['host with spaces', { host: 'mail server.example.org' }, 'host'],
      ['CR/LF in name', { name: 'x\r\ny' }, 'name'],
      ['CR/LF in username', { username: 'x\ny' }, 'username'],
      ['CR/LF in password', { password: 'x\ry' }, 'password'],
      ['unknown nextServerId', { nextServerId: '987654' }, 'nextServerId'],
      ['null name (not clearable)', { name: null }, 'name'],
      ['null host (not clearable)', { host: null }, 'host'],
      ['null port (not clearable)', { port: null }, 'port'],
      ['null timeoutMs (not clearable)', { timeoutMs: null }, 'timeoutMs'],
      ['a valid field with an invalid one', { name: 'Fine name', port: 0 }, 'port'],
    ];

    test.each(invalidUpdates)('D10: updateSmtpServer with %s is BAD_USER_INPUT on that field', async (_title, input, field) => {
      const created = await createServer<Record<string, any>>(gw(), { username: 'u', password: PASSWORD }, { document: CREATE });
      const result = await expectNothingWritten(gw(), () => gw().gql(UPDATE, { id: created.id, input }));
      expectError(result, 'BAD_USER_INPUT', { field });
      expect(await getServer(created.id)).toEqual(created);
    });
  });

  describe('R11/D5/D10: next-server links', () => {
    test('R11: nextServer and previousServers link both ways', async () => {
      const b = await createServer<Record<string, any>>(gw(), {}, { document: CREATE });
      const a = await createServer<Record<string, any>>(gw(), { nextServerId: b.id }, { document: CREATE });
      const c = await createServer<Record<string, any>>(gw(), { nextServerId: b.id }, { document: CREATE });
      expect(a.nextServer).toEqual({ id: b.id, name: b.name });
      const readB = await getServer(b.id);
      expect(readB!.nextServer).toBeNull();
      expect(readB!.previousServers).toEqual([
        { id: a.id, name: a.name },
        { id: c.id, name: c.name },
      ]);
    });

    test('D10: a server cannot be its own next server', async () => {
      const a = await createServer<Record<string, any>>(gw(), {}, { document: CREATE });
      const result = await expectNothingWritten(gw(), () => gw().gql(UPDATE, { id: a.id, input: { nextServerId: a.id } }));
      expectError(result, 'BAD_USER_INPUT', { field: 'nextServerId' });
    });

    test('D10: A->B, B->C, then C->A is refused as a cycle', async () => {
      const a = await createServer<Record<string, any>>(gw(), {}, { document: CREATE });
      const b = await createServer<Record<string, any>>(gw(), {}, { document: CREATE });
      const c = await createServer<Record<string, any>>(gw(), {}, { document: CREATE });
      await updateServer(a.id, { nextServerId: b.id });
      await updateServer(b.id, { nextServerId: c.id });
      const result = await expectNothingWritten(gw(), () => gw().gql(UPDATE, { id: c.id, input: { nextServerId: a.id } }));
      expectError(result, 'BAD_USER_INPUT', { field: 'nextServerId' });
      // B->A closes the shorter loop A->B->A and is refused as well
      expectError(await expectNothingWritten(gw(), () => gw().gql(UPDATE, { id: b.id, input: { nextServerId: a.id } })), 'BAD_USER_INPUT', {
        field: 'nextServerId',
      });
      expect((await getServer(c.id))!.nextServer).toBeNull();
      // a link that does not close a loop is still fine
      const d = await createServer<Record<string, any>>(gw(), {}, { document: CREATE });
      expect((await updateServer(c.id, { nextServerId: d.id })).nextServer.id).toBe(d.id);
    });

    test('D10: re-pointing a server away from its chain is allowed', async () => {
      const a = await createServer<Record<string, any>>(gw(), {}, { document: CREATE });
      const b = await createServer<Record<string, any>>(gw(), { nextServerId: a.id }, { document: CREATE });
      const c = await createServer<Record<string, any>>(gw(), { nextServerId: b.id }, { document: CREATE });
      // c -> b -> a; a -> c would be a loop, but b -> (nothing), then a -> c is fine
      expectError(await gw().gql(UPDATE, { id: a.id, input: { nextServerId: c.id } }), 'BAD_USER_INPUT', { field: 'nextServerId' });
      await updateServer(b.id, { nextServerId: null });
      expect((await updateServer(a.id, { nextServerId: c.id })).nextServer.id).toBe(c.id);
    });
  });

  describe('R4/R5: libraries and departments that use a server', () => {
    test('R4/R5: usedByLibraries and usedByDepartments list the referrers', async () => {
      const server = await createServer<Record<string, any>>(gw(), {}, { document: CREATE });
      const library = await createLibrary(gw(), { smtpServerId: server.id });
      const other = await createLibrary(gw(), { smtpServerId: null });
      const department = await createDepartment(gw(), other.id, { smtpServerId: server.id });
      const read = await getServer(server.id);
      expect(read!.usedByLibraries).toEqual([{ id: library.id, code: library.code }]);
      expect(read!.usedByDepartments).toEqual([{ id: department.id, name: department.name }]);
      const linked = await gw().ok<{ library: Record<string, any>; department: Record<string, any> }>(
        `query Library($l: ID!, $d: ID!) { library(id: $l) { smtpServer { id } } department(id: $d) { smtpServer { id } } }`,
        { l: library.id, d: department.id },
      );
      expect(linked.library.smtpServer).toEqual({ id: server.id });
      expect(linked.department.smtpServer).toEqual({ id: server.id });
    });
  });

  describe('D10: IN_USE on delete', () => {
    test('D10: deleting a referenced server is IN_USE and lists a previous server, a library, a department and a setting value', async () => {
      const server = await createServer<Record<string, any>>(gw(), {}, { document: CREATE });
      const previous = await createServer<Record<string, any>>(gw(), { nextServerId: server.id }, { document: CREATE });
      const library = await createLibrary(gw(), { smtpServerId: server.id });
      const department = await createDepartment(gw(), library.id, { smtpServerId: server.id });
      const setting = await gw().ok<{ setSetting: { id: string } }>(`mutation SetSetting($input: SetSettingInput!) { setSetting(input: $input) { id } }`, {
        input: { key: 'ILS_SMTP_SERVER', scope: 'LIBRARY', libraryId: library.id, value: server.id },
      });

      const result = await expectNothingWritten(gw(), () => gw().gql(DELETE_SMTP_SERVER, { id: server.id }));
      const extensions = expectError(result, 'IN_USE');
      const usedBy = extensions.usedBy as Array<{ type: string; id: string; name: string }>;
      expect(usedBy).toHaveLength(4);
      expect(usedBy).toEqual(
        expect.arrayContaining([
          { type: 'SmtpServer', id: previous.id, name: previous.name },
          { type: 'Library', id: library.id, name: library.name },
          { type: 'Department', id: department.id, name: department.name },
          { type: 'SettingValue', id: setting.setSetting.id, name: expect.stringContaining('ILS_SMTP_SERVER') },
        ]),
      );
      expect(await getServer(server.id)).not.toBeNull();

      // removing the references one by one; each remaining one still blocks
      await updateServer(previous.id, { nextServerId: null });
      await gw().ok(`mutation UpdateLibrary($id: ID!) { updateLibrary(id: $id, input: { smtpServerId: null }) { id } }`, { id: library.id });
      await gw().ok(`mutation UpdateDepartment($id: ID!) { updateDepartment(id: $id, input: { smtpServerId: null }) { id } }`, { id: department.id });
      const onlySetting = expectError(await expectNothingWritten(gw(), () => gw().gql(DELETE_SMTP_SERVER, { id: server.id })), 'IN_USE');
      expect(onlySetting.usedBy).toEqual([{ type: 'SettingValue', id: setting.setSetting.id, name: expect.any(String) }]);
      await gw().ok(`mutation ClearSetting($input: SettingTargetInput!) { clearSetting(input: $input) }`, {
        input: { key: 'ILS_SMTP_SERVER', scope: 'LIBRARY', libraryId: library.id },
      });
      expect((await gw().ok<{ deleteSmtpServer: string }>(DELETE_SMTP_SERVER, { id: server.id })).deleteSmtpServer).toBe(server.id);
    });
  });

  describe('D10: optimistic concurrency', () => {
    test('D10: a stale expectedVersion is CONFLICT and writes nothing; the current one succeeds', async () => {
      const created = await createServer<Record<string, any>>(gw(), {}, { document: CREATE });
      const v2 = await updateServer(created.id, { name: unique('Edited') }, 1);
      expect(v2.version).toBe(2);
      const result = await expectNothingWritten(gw(), () => gw().gql(UPDATE, { id: created.id, input: { name: 'Lost update' }, v: 1 }));
      expectError(result, 'CONFLICT');
      expect((await getServer(created.id))!.name).toBe(v2.name);
      const v3 = await updateServer(created.id, { name: 'Fresh' }, 2);
      expect(v3).toMatchObject({ name: 'Fresh', version: 3 });
    });
  });
});
