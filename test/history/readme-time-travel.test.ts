import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDemoData } from '../../src/bootstrap/demo-data';
import { startTestGateway, TestGateway } from '../support/gateway';

/** The README's "What was the configuration at …?" example, replayed on the demo with the change on its date. */
function example(): { query: string; answers: Array<{ at: string; expected: any }> } {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### What was the configuration at'), readme.indexOf('## Proving a configuration'));
  const query = /```graphql\n([\s\S]*?)```/.exec(section)![1];
  const answers = [...section.matchAll(/With `\{ "at": "([^"]+)" \}`[\s\S]*?```json\n([\s\S]*?)```/g)].map((m) => ({ at: m[1], expected: JSON.parse(m[2]) }));
  return { query, answers };
}

describe('README: what was the configuration at …?', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway('sqlite');
    await loadDemoData(gw.services);
    // The demo loaded in January, history kept since then; support cleared the library's server on 11 March.
    await gw.dataSource.query("UPDATE config_revision SET historySince = '2026-01-05 06:00:00.000'");
    await gw.dataSource.query("UPDATE audit_entry SET at = '2026-01-05 06:10:00.000'");
    await gw.ok('mutation ClearGlownaServer { updateLibrary(id: 2, input: { smtpServerId: null }) { id } }');
    await gw.dataSource.query("UPDATE audit_entry SET at = '2026-03-11 09:14:00.000' WHERE at > '2026-01-05 06:10:00.000'");
  });
  afterAll(() => gw.close());

  it('the answers before and after the change are real answers (the sender steps of the trace left out)', async () => {
    const { query, answers } = example();
    expect(answers.map((a) => a.at)).toEqual(['2026-03-10T08:00:00Z', '2026-03-12T08:00:00Z']);
    for (const { at, expected } of answers) {
      const { effectiveMailConfig: actual } = await gw.ok<any>(query, { at });
      expect({ ...actual, trace: actual.trace.slice(0, expected.trace.length) }).toEqual(expected);
      expect(actual.trace.slice(expected.trace.length).every((step: any) => step.field.startsWith('Library.') || step.field.startsWith('Department.'))).toBe(
        true,
      );
    }
  });
});
