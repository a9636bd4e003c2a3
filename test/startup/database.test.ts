import { describeEachDatabase } from '../support/gateway';
import { insertServer } from '../support/seed';

describeEachDatabase('database schema', (gw) => {
  it('enforces references with foreign keys, not only in code', async () => {
    const server = await insertServer(gw().dataSource, { name: 'Referenced' });
    await gw().ok(`mutation($id: ID!) { createLibrary(input: { code: "FK", name: "FK", smtpServerId: $id }) { id } }`, { id: String(server.id) });
    await expect(gw().dataSource.query('DELETE FROM smtp_server WHERE id = ?', [server.id])).rejects.toThrow(/foreign key/i);
    await expect(gw().dataSource.query('UPDATE library SET smtpServerId = 987654 WHERE code = ?', ['FK'])).rejects.toThrow(/foreign key/i);
  });

  it('has every migration applied and reports ready', async () => {
    expect(await gw().dataSource.showMigrations()).toBe(false);
    const ready = await fetch(`${gw().url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', database: 'ok', migrations: 'ok' });
    const health = await fetch(`${gw().url}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  it('migrations revert and re-apply cleanly', async () => {
    const { dataSource } = gw();
    await dataSource.query('DELETE FROM library');
    await dataSource.query('DELETE FROM smtp_server');
    await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await dataSource.showMigrations()).toBe(true);
    await dataSource.runMigrations({ transaction: 'each' });
    const definitions = await gw().ok<any>('{ settingDefinitions { key } }');
    expect(definitions.settingDefinitions).toHaveLength(3);
  });
});
