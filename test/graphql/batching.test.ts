import { insertNetwork, insertServer } from '../support/seed';
import { describeEachDatabase } from '../support/gateway';

const GRAPH_QUERY = `{
  libraries {
    smtpServer { nextServer { name } }
    departments { smtpServer { name } library { code } }
    settings { key smtpServer { name } }
  }
}`;

const EFFECTIVE_LIST_QUERY = `{
  libraries { departments { effectiveMailConfig { servers { name } sender { formatted } problems { code } } } }
}`;

describeEachDatabase('statement counts do not grow with the number of rows', (gw) => {
  let at3: { graph: number; effective: number };
  let at60: { graph: number; effective: number };

  beforeAll(async () => {
    const { dataSource } = gw();
    const c = await insertServer(dataSource, { name: 'C' });
    const b = await insertServer(dataSource, { name: 'B', nextServerId: c.id });
    const a = await insertServer(dataSource, { name: 'A', nextServerId: b.id });
    const servers = [a, b, c];
    const measure = async () => {
      let graph: any;
      let effective: any;
      const graphCount = await gw().countStatements(async () => (graph = await gw().ok(GRAPH_QUERY)));
      const effectiveCount = await gw().countStatements(async () => (effective = await gw().ok(EFFECTIVE_LIST_QUERY)));
      return {
        graph: graphCount,
        effective: effectiveCount,
        libraries: graph.libraries.length,
        departments: effective.libraries.flatMap((l: any) => l.departments).length,
      };
    };
    await insertNetwork(dataSource, 0, 3, servers);
    const small = await measure();
    expect([small.libraries, small.departments]).toEqual([3, 15]);
    await insertNetwork(dataSource, 3, 57, servers);
    const large = await measure();
    expect([large.libraries, large.departments]).toEqual([60, 300]);
    at3 = small;
    at60 = large;
    // Printed for the record: these are the figures the closing notes quote.
    console.log(
      `[${gw().kind}] statements: graph query ${small.graph} at 3 libraries, ${large.graph} at 60; effective list ${small.effective} at 3, ${large.effective} at 60`,
    );
  });

  it('the linked graph query costs the same at 3 and 60 libraries (DataLoaders per request)', () => {
    expect(at3.graph).toBeGreaterThan(0);
    expect(at60.graph).toBe(at3.graph);
  });

  it("every department's effective configuration costs the same at 3 and 60 libraries", () => {
    expect(at3.effective).toBeGreaterThan(0);
    expect(at60.effective).toBe(at3.effective);
  });
});

const CHECK_SENDER_DOMAIN = `query ($serverIds: [ID!]!) { checkSenderDomain(sender: "not an address", serverIds: $serverIds) { servers { server { name } } } }`;

describeEachDatabase('checkSenderDomain loads the servers it is given together (D13)', (gw) => {
  let ids: string[];

  beforeAll(async () => {
    const { dataSource } = gw();
    const servers = [];
    for (const name of ['S1', 'S2', 'S3', 'S4', 'S5']) servers.push(await insertServer(dataSource, { name }));
    ids = servers.map((s) => String(s.id));
  });

  it('five servers cost the statements of one', async () => {
    const one = await gw().countStatements(() => gw().ok(CHECK_SENDER_DOMAIN, { serverIds: ids.slice(0, 1) }));
    let five: any;
    const fiveCount = await gw().countStatements(async () => (five = await gw().ok(CHECK_SENDER_DOMAIN, { serverIds: ids })));
    expect(five.checkSenderDomain.servers.map((s: any) => s.server.name)).toEqual(['S1', 'S2', 'S3', 'S4', 'S5']);
    expect(one).toBeGreaterThan(0);
    expect(fiveCount).toBe(one);
  });

  it('the first unknown id of the list is the one reported NOT_FOUND', async () => {
    const result = await gw().gql(CHECK_SENDER_DOMAIN, { serverIds: [ids[0], '999991', 'x', '999992'] });
    expect(result.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['NOT_FOUND', 'SmtpServer 999991 does not exist']]);
  });
});
