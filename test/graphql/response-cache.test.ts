import { describeEachDatabase, TestGateway, WITH_SNAPSHOT } from '../support/gateway';

const QUERY = `query($id: ID!) { effectiveMailConfig(libraryId: $id) { servers { name } sender { formatted } stale } }`;

async function post(gw: TestGateway, body: string, accept?: string): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${gw.tokens.support}` };
  if (accept) headers.accept = accept;
  return fetch(`${gw.url}/graphql`, { method: 'POST', headers, body });
}

async function cacheHits(gw: TestGateway): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  return Number(/^mail_gateway_response_cache_hits_total (\d+)$/m.exec(text)?.[1]);
}

describeEachDatabase(
  'response cache for snapshot-only queries (issue 7)',
  (gw) => {
    let libraryId: string;
    let other: string;

    beforeAll(async () => {
      const server = await gw().ok<any>(`mutation { createSmtpServer(input: { name: "First", host: "smtp1.example.org", port: 587, allowTls: true }) { id } }`);
      const created = await gw().ok<any>(
        `mutation($s: ID!) {
      a: createLibrary(input: { code: "RC", name: "Cached", contactEmail: "rc@example.org", smtpServerId: $s }) { id }
      b: createLibrary(input: { code: "RD", name: "Other", contactEmail: "rd@example.org", smtpServerId: $s }) { id }
    }`,
        { s: server.createSmtpServer.id },
      );
      libraryId = created.a.id;
      other = created.b.id;
    });

    it('answers a repeated query from memory with the same bytes and no SQL', async () => {
      const first = await gw().ok<any>(QUERY, { id: libraryId });
      const before = await cacheHits(gw());
      let second: any;
      const statements = await gw().countStatements(async () => (second = await gw().ok<any>(QUERY, { id: libraryId })));
      expect(second).toEqual(first);
      expect(statements).toBe(0);
      expect(await cacheHits(gw())).toBe(before + 1);
    });

    it('never serves a cached answer across identities', async () => {
      await gw().ok(QUERY, { id: other });
      const admin = await gw().token({ sub: 'admin', roles: ['library-admin'], libraries: [Number(libraryId)] });
      const before = await cacheHits(gw());
      const denied = await gw().gql(QUERY, { id: other }, admin);
      expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(await cacheHits(gw())).toBe(before);
    });

    it('drops every answer when a write changes the configuration', async () => {
      await gw().ok(QUERY, { id: libraryId });
      const next = await gw().ok<any>(`mutation { createSmtpServer(input: { name: "Second", host: "smtp2.example.org", port: 587, allowTls: true }) { id } }`);
      await gw().ok(`mutation($id: ID!, $s: ID!) { updateLibrary(id: $id, input: { smtpServerId: $s }) { id } }`, {
        id: libraryId,
        s: next.createSmtpServer.id,
      });
      const after = await gw().ok<any>(QUERY, { id: libraryId });
      expect(after.effectiveMailConfig.servers).toEqual([{ name: 'Second' }]);
    });

    it('answers whitespace, comma and comment variants of a cached query from the same entry', async () => {
      const variables = { id: libraryId };
      await gw().ok(QUERY, variables);
      const before = await cacheHits(gw());
      const spaced = `${QUERY}   `;
      const commented = `# the mail sender\n${QUERY.replace(/ \{ /g, ',  {\n  ')}`;
      const reordered = JSON.stringify({ variables, query: spaced });
      for (const body of [JSON.stringify({ query: spaced, variables }), JSON.stringify({ query: commented, variables }), reordered]) {
        expect((await post(gw(), body)).status).toBe(200);
      }
      expect(await cacheHits(gw())).toBe(before + 3);
    });

    it('keys the answer on the negotiated content type (GraphQL over HTTP, accept: application/json)', async () => {
      const body = JSON.stringify({ query: `${QUERY}  `, variables: { id: libraryId }, operationName: null });
      const modern = await post(gw(), body, 'application/graphql-response+json');
      expect(modern.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
      await modern.text();
      const legacy = await post(gw(), body, 'application/json');
      expect(legacy.status).toBe(200);
      expect(legacy.headers.get('content-type')).toMatch(/^application\/json/);
      const again = await post(gw(), body, 'application/graphql-response+json');
      expect(again.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    });

    it('does not cache errors or queries that read beyond the snapshot', async () => {
      const before = await cacheHits(gw());
      await gw().gql(QUERY, { id: '999999' });
      await gw().gql(QUERY, { id: '999999' });
      const live = `query($id: ID!) { effectiveMailConfig(libraryId: $id) { deliverability { domain } } }`;
      await gw().gql(live, { id: libraryId });
      await gw().gql(live, { id: libraryId });
      expect(await cacheHits(gw())).toBe(before);
    });
  },
  WITH_SNAPSHOT,
  ', snapshot',
);

describeEachDatabase(
  'mutation results with the snapshot on (issue 7)',
  (gw) => {
    it('the fields of a mutation result already see the write', async () => {
      const server = await gw().ok<any>(
        `mutation { createSmtpServer(input: { name: "Shared", host: "smtp.shared.example.org", port: 587, allowTls: true }) { id usedByLibraries { code } } }`,
      );
      expect(server.createSmtpServer.usedByLibraries).toEqual([]);
      const created = await gw().ok<any>(
        `mutation($s: ID!) { createLibrary(input: { code: "NEW", name: "New", smtpServerId: $s }) { code smtpServer { usedByLibraries { code } } } }`,
        { s: server.createSmtpServer.id },
      );
      expect(created.createLibrary.smtpServer.usedByLibraries).toEqual([{ code: 'NEW' }]);
    });
  },
  WITH_SNAPSHOT,
  ', snapshot',
);
