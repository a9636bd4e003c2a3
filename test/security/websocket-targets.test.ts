import { DELETE_LIBRARY } from '../support/documents';
import { createDepartment, createLibrary } from '../support/fixtures';
import { describeEachDatabase, WITH_SNAPSHOT } from '../support/gateway';
import { connectSubscriptions, MAIL_CONFIG_CHANGED, SubscriptionClient, until } from '../support/subscriptions';

/**
 * What a subscriber may reach: a library-admin probing foreign and unknown libraries under every
 * spelling of an id, and hundreds of subscribers of a library that is deleted under them.
 */
describeEachDatabase(
  'subscriptions: ids a subscriber may not reach, and targets deleted under subscribers',
  (gw) => {
    const clients: SubscriptionClient[] = [];
    const connect = (token: string) => {
      const client = connectSubscriptions(gw().url, token);
      clients.push(client);
      return client;
    };

    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.dispose()));
      await until('every subscription to end', () => gw().services.mailConfigChanges.open === 0);
    });

    it('a library-admin gets FORBIDDEN for every spelling of a foreign or unknown id, and nothing of it echoed', async () => {
      const own = Number((await createLibrary(gw(), { contactEmail: 'own@ids.example.org' })).id);
      const foreign = Number((await createLibrary(gw(), { contactEmail: 'foreign@ids.example.org' })).id);
      const foreignDepartment = (await createDepartment(gw(), String(foreign), { email: 'desk@ids.example.org' })).id;
      const admin = await gw().token({ sub: 'admin-ids', roles: ['library-admin'], libraries: [own] });
      const client = connect(admin);
      const spellings = [
        String(foreign),
        ` ${foreign}`,
        `${foreign}.0`,
        `0x${foreign.toString(16)}`,
        `-${foreign}`,
        `+${foreign}`,
        `0${own}`,
        `${own}.0`,
        `${own}e0`,
        `-${own}`,
        '0',
        '2147483648',
        '99999999999999999999999999',
        String(2 ** 53 + own),
        '\u0661',
        `${own}\u0000`,
        '',
      ];
      for (const libraryId of spellings) {
        const result = await client.subscribe(MAIL_CONFIG_CHANGED, { libraryId }).next();
        expect({ libraryId, codes: result.errors?.map((e) => e.extensions?.code) }).toEqual({ libraryId, codes: ['FORBIDDEN'] });
        expect(JSON.stringify(result)).not.toContain('foreign@ids.example.org');
      }
      for (const departmentId of [foreignDepartment, ` ${foreignDepartment}`, '999999']) {
        const result = await client.subscribe(MAIL_CONFIG_CHANGED, { libraryId: String(own), departmentId }).next();
        expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
        expect(JSON.stringify(result)).not.toContain('desk@ids.example.org');
      }
      // Whitespace around its own id is the same id: served, and shares the entry of the plain spelling.
      const plain = client.subscribe(MAIL_CONFIG_CHANGED, { libraryId: String(own) });
      const spaced = client.subscribe(MAIL_CONFIG_CHANGED, { libraryId: ` ${own} ` });
      expect((await plain.next()).data?.effectiveMailConfigChanged.sender.address).toBe('own@ids.example.org');
      expect((await spaced.next()).data?.effectiveMailConfigChanged.sender.address).toBe('own@ids.example.org');
      expect(gw().services.mailConfigChanges.open).toBe(2);
    });

    it('300 subscribers of a library deleted under them each get NOT_FOUND and complete; their connections stay usable', async () => {
      const library = (await createLibrary(gw(), { contactEmail: 'doomed@ids.example.org' })).id;
      const connections = [connect(gw().tokens.service), connect(gw().tokens.service), connect(gw().tokens.support)];
      const subscriptions = connections.flatMap((client) =>
        Array.from({ length: 100 }, (_, i) =>
          client.subscribe(MAIL_CONFIG_CHANGED, i % 2 === 0 ? { libraryId: library } : { libraryId: library, purpose: 'INTERLIBRARY_LOAN' }),
        ),
      );
      await Promise.all(subscriptions.map((s) => s.next()));
      expect(gw().services.mailConfigChanges.open).toBe(300);
      await gw().ok(DELETE_LIBRARY, { id: library });
      const endings = await Promise.all(subscriptions.map(async (s) => ({ last: await s.next(), ended: await s.ended })));
      for (const { last, ended } of endings) {
        expect(last.errors?.[0].extensions?.code).toBe('NOT_FOUND');
        expect(ended).toEqual({ completed: true });
      }
      await until('no subscription left', () => gw().services.mailConfigChanges.open === 0);
      const again = await connections[0].subscribe(MAIL_CONFIG_CHANGED, { libraryId: library }).next();
      expect(again.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    }, 60_000);
  },
  WITH_SNAPSHOT,
  ', snapshot',
);
