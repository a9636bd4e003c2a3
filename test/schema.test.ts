import { existsSync, readFileSync } from 'node:fs';
import { buildSchema, Kind, parse, print } from 'graphql';
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
      'smtpServers: [SmtpServer!]!',
      'effectiveMailConfig(',
      'setSetting(input: SetSettingInput!): SettingValue!',
      'clearSetting(input: SettingTargetInput!): Boolean!',
      'deleteSmtpServer(id: ID!): ID!',
      'hasPassword: Boolean!',
      'previousServers: [SmtpServer!]!',
      'formatted: String!',
      'enum ResolutionSource',
    ]) {
      expect(schema).toContain(name);
    }
    const outputTypes = schema.split(/\n(?=type |input |enum |scalar )/).filter((block) => block.startsWith('type '));
    expect(outputTypes.some((block) => /\n\s+password\b/.test(block))).toBe(false);
  });
});

/** The contract other clients are written against sits beside the repository (../shared/API.md). */
const API_MD = join(__dirname, '..', '..', 'shared', 'API.md');

(existsSync(API_MD) ? describe : describe.skip)('the API.md contract', () => {
  it('has every type, field, argument, default and enum value of its schema excerpt, with the same types', () => {
    const excerpt = /```graphql\n([\s\S]*?)```/.exec(readFileSync(API_MD, 'utf8'))?.[1];
    expect(excerpt).toBeDefined();
    const ours = buildSchema(readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8'));
    const problems: string[] = [];
    for (const definition of parse(excerpt as string).definitions) {
      if (!('name' in definition) || !definition.name) continue;
      const name = definition.name.value;
      const type = ours.getType(name) as any;
      if (!type) {
        problems.push(`missing type ${name}`);
        continue;
      }
      if (definition.kind === Kind.ENUM_TYPE_DEFINITION) {
        for (const value of definition.values ?? []) if (!type.getValue(value.name.value)) problems.push(`missing ${name}.${value.name.value}`);
        continue;
      }
      if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.INPUT_OBJECT_TYPE_DEFINITION) continue;
      const fields = type.getFields();
      for (const field of definition.fields ?? []) {
        const mine = fields[field.name.value];
        if (!mine) {
          problems.push(`missing ${name}.${field.name.value}`);
          continue;
        }
        if (String(mine.type) !== print(field.type)) problems.push(`${name}.${field.name.value} is ${mine.type}, API.md says ${print(field.type)}`);
        if ('defaultValue' in field && field.defaultValue && String(mine.defaultValue) !== print(field.defaultValue))
          problems.push(`default of ${name}.${field.name.value}`);
        for (const argument of 'arguments' in field ? (field.arguments ?? []) : []) {
          const arg = mine.args.find((a: { name: string }) => a.name === argument.name.value);
          if (!arg || String(arg.type) !== print(argument.type)) problems.push(`${name}.${field.name.value}(${argument.name.value})`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
