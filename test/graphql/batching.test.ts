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
