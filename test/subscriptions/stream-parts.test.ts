import { buildGatewaySchema } from '../../src/schema';
import { ByteLru } from '../../src/performance/byte-lru';
import { createCostCheck } from '../../src/security/query-cost.plugin';
import { LatestValue } from '../../src/subscriptions/latest-value';
import { prepareOperation } from '../../src/subscriptions/subscription-operation';
import { testConfig } from '../support/gateway';
import { MAIL_CONFIG_CHANGED } from '../support/subscriptions';

/** The pieces of the change stream that need no server: the update buffer and the checks of a subscribe message. */

describe('LatestValue: what a subscriber is handed', () => {
  it('hands out the newest value: one not yet read is replaced, never queued', async () => {
    const stream = new LatestValue<number>(() => undefined);
    stream.offer(1);
    stream.offer(2);
    stream.offer(3);
    expect(await stream.next()).toEqual({ value: 3, done: false });
    const waiting = stream.next();
    stream.offer(4);
    expect(await waiting).toEqual({ value: 4, done: false });
  });

  it('ends after a last value is read, and return() ends a reader that waits', async () => {
    let ended = 0;
    const last = new LatestValue<string>(() => ended++);
    last.offer('gone', true);
    last.offer('ignored');
    expect(await last.next()).toEqual({ value: 'gone', done: false });
    expect(await last.next()).toEqual({ value: undefined, done: true });
    const waiting = new LatestValue<string>(() => ended++);
    const pending = waiting.next();
    await waiting.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(ended).toBe(2);
  });
});

describe('a subscribe message goes through the limits of queries', () => {
  it('refuses a document whose estimated cost is over GRAPHQL_MAX_COST, before anything runs', async () => {
    const schema = await buildGatewaySchema();
    const checks = {
      schema,
      limits: testConfig({ type: 'sqlite', path: ':memory:' }).graphql,
      // No database is needed: this estimate does not depend on the configuration's sizes.
      cost: createCostCheck({ maxCost: 5 }, null as any, () => null),
      documents: new ByteLru<any>(1 << 20),
    };
    const refused = (await prepareOperation(checks, { subscriptions: {} }, { query: MAIL_CONFIG_CHANGED, variables: { libraryId: '1' } })) as any[];
    expect(refused.map((e) => e.extensions.code)).toEqual(['QUERY_TOO_EXPENSIVE']);
    const roomy = { ...checks, cost: createCostCheck({ maxCost: 1_000_000 }, null as any, () => null) };
    const accepted = (await prepareOperation(roomy, { subscriptions: {} }, { query: MAIL_CONFIG_CHANGED, variables: { libraryId: '1' } })) as any;
    expect(accepted.document).toBeDefined();
    const badVariables = (await prepareOperation(
      roomy,
      { subscriptions: {} },
      { query: MAIL_CONFIG_CHANGED, variables: { libraryId: '1', purpose: 'NOPE' } },
    )) as any[];
    expect(badVariables.map((e) => e.extensions.code)).toEqual(['BAD_USER_INPUT']);
  });
});
