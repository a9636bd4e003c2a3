import { randomBytes } from 'node:crypto';
import { mysqlAvailable } from '../support/gateway';
import { MYSQL_URL, withServerConnection } from '../support/mysql';
import { CREATE_LIBRARY, CREATE_SERVER, OpsGateway, startGatewayOn, UPDATE_LIBRARY } from './helpers';
import { LossyMysqlProxy, startLossyMysqlProxy } from './lossy-mysql-proxy';

/**
 * A write whose COMMIT reached the database but whose answer was lost may have been applied, so it
 * must not be reported as failed: SERVICE_UNAVAILABLE with outcome UNKNOWN and the entity's id,
 * and reading that id again shows what happened (here: it committed).
 */
const TIMEOUTS = { queryMs: 800, acquireMs: 800, checkMs: 300 };
const run = mysqlAvailable() ? describe : describe.skip;

run('a COMMIT without an answer is outcome UNKNOWN, never "failed" [mysql]', () => {
  const name = `mcg_commit_${process.pid}_${randomBytes(4).toString('hex')}`;
  let proxy: LossyMysqlProxy | null = null;
  let gw: OpsGateway | null = null;
  const inDatabase = <T>(sql: string, params: unknown[]) =>
    withServerConnection(async (c) => {
      await c.query(`USE \`${name}\``);
      return (await c.query(sql, params))[0] as T[];
    });

  beforeAll(async () => {
    await withServerConnection((c) => c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`));
    const target = new URL(MYSQL_URL);
    proxy = await startLossyMysqlProxy({ host: target.hostname, port: Number(target.port || 3306) });
    const url = new URL(MYSQL_URL);
    url.port = String(proxy.port);
    url.pathname = `/${name}`;
    gw = await startGatewayOn({ type: 'mysql', url: url.toString(), timeouts: TIMEOUTS });
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await proxy?.close();
    await withServerConnection((c) => c.query(`DROP DATABASE IF EXISTS \`${name}\``));
  });

  test('an update whose COMMIT answer is lost is SERVICE_UNAVAILABLE, outcome UNKNOWN, with the id; re-reading shows it applied', async () => {
    const library = (await gw!.ok<any>(CREATE_LIBRARY, { input: { code: 'MAYBE', name: 'Maybe Library', shortName: 'Before' } })).createLibrary;
    proxy!.loseAnswerAfterNextCommit();
    const started = Date.now();
    const result = await gw!.gql<any>(UPDATE_LIBRARY, { id: library.id, input: { shortName: 'Committed' } });
    expect(proxy!.lostCommits).toBe(1);
    expect(Date.now() - started).toBeLessThan(TIMEOUTS.queryMs + 2000);
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0].extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', outcome: 'UNKNOWN', id: library.id });
    expect(result.errors![0].message).not.toMatch(/nothing was changed/);
    expect(await inDatabase('SELECT shortName, version FROM library WHERE id = ?', [Number(library.id)])).toEqual([{ shortName: 'Committed', version: 2 }]);
    const reread = await gw!.ok<any>('query($id: ID!) { library(id: $id) { shortName version } }', { id: library.id });
    expect(reread.library).toEqual({ shortName: 'Committed', version: 2 });
  });

  test('a create whose COMMIT answer is lost names the id it was given', async () => {
    proxy!.loseAnswerAfterNextCommit();
    const result = await gw!.gql<any>(CREATE_SERVER, { input: { name: 'Maybe relay', host: 'maybe.example.org', port: 587 } });
    expect(result.errors![0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', outcome: 'UNKNOWN' });
    const id = result.errors![0].extensions!.id;
    expect(id).toMatch(/^\d+$/);
    expect(await inDatabase('SELECT name FROM smtp_server WHERE id = ?', [Number(id)])).toEqual([{ name: 'Maybe relay' }]);
  });
});
