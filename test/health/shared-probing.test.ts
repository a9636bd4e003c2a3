import { createServer, unique } from '../support/fixtures';
import { mysqlAvailable, startTestGateway, TestGateway } from '../support/gateway';
import { OpsGateway, sleep, startGatewayOn } from '../operations/helpers';
import { HOST, SmtpSink, startSmtpSink } from '../transport/smtp-fixtures';

/**
 * Two gateway instances on one MariaDB database share the probing through the lease row: the SMTP
 * server receives about one check per interval, not one per instance per interval.
 */

const PROBE_MS = 100;
const OBSERVE_MS = 2_000;
const run = mysqlAvailable() ? describe : describe.skip;

run('mail health: two instances on one MariaDB database share the probing [mysql]', () => {
  let harness: TestGateway;
  const instances: OpsGateway[] = [];
  let sink: SmtpSink;

  beforeAll(async () => {
    harness = await startTestGateway('mysql');
    sink = await startSmtpSink();
    await createServer(harness, { name: unique('shared'), host: HOST, port: sink.port, connectionTimeoutMs: 2000, timeoutMs: 200_000 });
    const database = { type: 'mysql' as const, url: (harness.dataSource.options as { url: string }).url };
    for (let i = 0; i < 2; i++) instances.push(await startGatewayOn(database, { probes: { intervalMs: PROBE_MS, concurrency: 4 } }));
  });

  afterAll(async () => {
    for (const instance of instances) await instance.close();
    await sink?.close();
    await harness?.close();
  });

  it('the SMTP server sees about one check per interval, and both instances report its health', async () => {
    const before = sink.connections();
    await sleep(OBSERVE_MS);
    const checks = sink.connections() - before;
    const intervals = OBSERVE_MS / PROBE_MS;
    // One instance alone makes about `intervals` checks (±10 % jitter, plus the time a check takes); two would make twice as many.
    expect(checks).toBeGreaterThanOrEqual(intervals * 0.5);
    expect(checks).toBeLessThanOrEqual(intervals * 1.3);
    for (const instance of instances) {
      const data = await instance.ok<any>('{ smtpServers { health { status } } }');
      expect(data.smtpServers.map((s: any) => s.health.status)).toEqual(['UP']);
    }
  });
});
