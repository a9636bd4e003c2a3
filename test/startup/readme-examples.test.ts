import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootstrap } from '../../src/bootstrap/bootstrap';
import { silentLogger } from '../../src/common/logger';
import { loadConfig } from '../../src/config';
import { startTestGateway, TestGateway } from '../support/gateway';

/** Every ```graphql block of the README followed by a ```json block is run against the demo. */
function examples(): Array<{ query: string; expected: unknown }> {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const pairs: Array<{ query: string; expected: unknown }> = [];
  // a query block directly followed by its answer (blocks separated by prose are examples of another kind)
  const pattern = /```graphql\n((?:(?!```)[\s\S])*?)```\s*\n```json\n([\s\S]*?)```/g;
  for (let match = pattern.exec(readme); match; match = pattern.exec(readme)) {
    pairs.push({ query: match[1], expected: JSON.parse(match[2]) });
  }
  return pairs;
}

describe('README examples (D7)', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway('sqlite');
    await bootstrap(gateway.dataSource, gateway.services, loadConfig({}), silentLogger);
  });
  afterAll(() => gateway.close());

  it('are real responses of the demo', async () => {
    const pairs = examples();
    expect(pairs.length).toBeGreaterThanOrEqual(2);
    for (const { query, expected } of pairs) {
      const data = await gateway.ok<Record<string, unknown>>(query);
      expect(Object.values(data)[0]).toEqual(expected);
    }
  });
});
