import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort } from '../security/helpers';
import { spawnGateway, supportToken } from './helpers';

describe('production start-up (issues 5 and 2)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mail-gateway-production-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('D12: refuses to start without MAIL_CONFIG_KEY, saying why', async () => {
    const port = await closedPort();
    const gateway = await spawnGateway('no-key', port, { NODE_ENV: 'production', MAIL_CONFIG_KEY: '', DATABASE_URL: `sqlite:${join(dir, 'a.sqlite')}` }).catch(
      (error: Error) => error,
    );
    expect(gateway).toBeInstanceOf(Error);
    expect(String((gateway as Error).message)).toMatch(/MAIL_CONFIG_KEY must be set/);
  });

  it('with its key, serves but refuses introspection', async () => {
    const port = await closedPort();
    const gateway = await spawnGateway('production', port, { NODE_ENV: 'production', DATABASE_URL: `sqlite:${join(dir, 'b.sqlite')}` });
    try {
      const response = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await supportToken()}` },
        body: JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
      });
      const body = (await response.json()) as { errors?: Array<{ message: string; extensions?: { code?: string } }> };
      expect(body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(body.errors?.[0].message).toMatch(/introspection/i);
    } finally {
      gateway.child.kill('SIGTERM');
      expect((await gateway.exited).code).toBe(0);
    }
  });
});
