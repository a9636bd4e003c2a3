import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { printGatewaySchema } from '../scripts/emit-schema';

describe('schema.graphql', () => {
  it('is the schema the code emits (run `npm run schema:emit` after changing types)', async () => {
    const checkedIn = readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8');
    expect(checkedIn).toBe(await printGatewaySchema());
  });

  it('keeps the contract names of API.md', async () => {
    const schema = await printGatewaySchema();
    for (const name of [
      'smtpServers: [SmtpServer!]!', 'effectiveMailConfig(', 'setSetting(input: SetSettingInput!): SettingValue!',
      'clearSetting(input: SettingTargetInput!): Boolean!', 'deleteSmtpServer(id: ID!): ID!', 'hasPassword: Boolean!',
      'previousServers: [SmtpServer!]!', 'formatted: String!', 'enum ResolutionSource',
    ]) {
      expect(schema).toContain(name);
    }
    const outputTypes = schema.split(/\n(?=type |input |enum |scalar )/).filter((block) => block.startsWith('type '));
    expect(outputTypes.some((block) => /\n\s+password\b/.test(block))).toBe(false);
  });
});
