import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDemoData } from '../../src/bootstrap/demo-data';
import { VerifyResult } from '../../src/mail/transport/verify-smtp-server';
import { startTestGateway, TestGateway } from '../support/gateway';

/** The README's overview example is the real answer of the demo with the vendor's primary DOWN. */

const OK: VerifyResult = { ok: true, reachedStage: 'DONE', errorCode: null, responseCode: null, enhancedStatus: null, message: null, durationMs: 12 };
const REFUSED = { ...OK, ok: false, reachedStage: 'CONNECT', errorCode: 'CONNECTION_FAILED', message: 'connection refused' } as VerifyResult;

function example(): { query: string; expected: unknown } {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const match = /```graphql\n(\{ mailHealthOverview[\s\S]*?)```\s*\nWith `Vendor primary` DOWN[^\n]*\n\n```json\n([\s\S]*?)```/.exec(readme);
  if (!match) throw new Error('README: the mailHealthOverview example is missing');
  return { query: match[1], expected: JSON.parse(match[2]) };
}

describe('README: mailHealthOverview of the demo with the vendor primary down', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway('sqlite');
    await loadDemoData(gateway.services);
  });
  afterAll(() => gateway.close());

  it('is the answer the gateway gives', async () => {
    const servers: Array<{ id: number; name: string }> = await gateway.dataSource.query('SELECT id, name FROM smtp_server');
    for (const server of servers) {
      await gateway.services.health.record(server.id, OK);
      if (server.name === 'Vendor primary') for (let i = 0; i < 2; i++) await gateway.services.health.record(server.id, REFUSED);
    }
    const { query, expected } = example();
    expect(await gateway.ok(query)).toEqual(expected);
  });
});
