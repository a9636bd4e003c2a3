import { randomBytes } from 'node:crypto';
import { mysqlAvailable } from '../support/gateway';
import { MYSQL_URL, withServerConnection } from '../support/mysql';
import { CREATE_LIBRARY, OpsGateway, startGatewayOn, UPDATE_LIBRARY } from './helpers';

/**
 * D10: CONFLICT tells the truth. Two gateway instances on one MariaDB database race the same row,
 * round after round, both from the same expected version; the loser's `actualVersion` must be the
 * version that beat it. (On MariaDB the loser's transaction reads a REPEATABLE READ snapshot that
 * may predate the winner's commit; SQLite has a single writer, so there is no such race there.)
 */
const ROUNDS = 40;
const run = mysqlAvailable() ? describe : describe.skip;

run('D10: CONFLICT names the version that won, in two-instance races [mysql]', () => {
  const name = `mcg_race_${process.pid}_${randomBytes(4).toString('hex')}`;
  const gateways: OpsGateway[] = [];

  beforeAll(async () => {
    await withServerConnection((c) => c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`));
    const url = new URL(MYSQL_URL);
    url.pathname = `/${name}`;
    gateways.push(await startGatewayOn({ type: 'mysql', url: url.toString() }));
    gateways.push(await startGatewayOn({ type: 'mysql', url: url.toString() }, { migrationsRun: false }));
  }, 60_000);

  afterAll(async () => {
    for (const gateway of gateways) await gateway.close();
    await withServerConnection((c) => c.query(`DROP DATABASE IF EXISTS \`${name}\``));
  });

  test("D10: every CONFLICT in a race carries the winner's version as actualVersion", async () => {
    const [a, b] = gateways;
    const created = (await a.ok<any>(CREATE_LIBRARY, { input: { code: 'RACE', name: 'Race Library' } })).createLibrary;
    let version: number = created.version;
    const wrong: string[] = [];
    let conflicts = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const results = await Promise.all(
        [a, b].map((gateway, i) => gateway.gql<any>(UPDATE_LIBRARY, { id: created.id, input: { name: `Round ${round} by ${i}` }, expectedVersion: version })),
      );
      const winners = results.filter((r) => !r.errors);
      const losers = results.filter((r) => r.errors);
      expect(winners).toHaveLength(1);
      const won = winners[0].data!.updateLibrary.version as number;
      expect(won).toBe(version + 1);
      for (const loser of losers) {
        conflicts += 1;
        const extensions = loser.errors![0].extensions!;
        expect(extensions.code).toBe('CONFLICT');
        expect(extensions.expectedVersion).toBe(version);
        if (extensions.actualVersion !== won) wrong.push(`round ${round}: actualVersion ${extensions.actualVersion}, winner ${won}`);
      }
      version = won;
    }
    expect(conflicts).toBe(ROUNDS);
    expect(wrong).toEqual([]);
  });
});
