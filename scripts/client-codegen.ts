import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { codegen } from '@graphql-codegen/core';
import * as typedDocumentNode from '@graphql-codegen/typed-document-node';
import * as typescriptOperations from '@graphql-codegen/typescript-operations';
import { parse } from 'graphql';

/**
 * Writes the client's typed operations (client/src/generated/graphql.ts) from schema.graphql and
 * client/src/operations/*.graphql, or with --check fails when the checked-in file differs.
 */
const ROOT = join(__dirname, '..');
const OPERATIONS = join(ROOT, 'client', 'src', 'operations');
const OUTPUT = join(ROOT, 'client', 'src', 'generated', 'graphql.ts');

export async function generateClientOperations(): Promise<string> {
  const schema = parse(readFileSync(join(ROOT, 'schema.graphql'), 'utf8'));
  const documents = readdirSync(OPERATIONS)
    .filter((name) => name.endsWith('.graphql'))
    .sort()
    .map((name) => {
      const path = join(OPERATIONS, name);
      return { location: relative(ROOT, path), document: parse(readFileSync(path, 'utf8')) };
    });
  const body = await codegen({
    schema,
    documents,
    filename: relative(ROOT, OUTPUT),
    plugins: [{ typescriptOperations: {} }, { typedDocumentNode: {} }],
    pluginMap: { typescriptOperations, typedDocumentNode },
    config: {
      // Only what the operations use: the client does not carry the whole schema's types.
      onlyOperationTypes: true,
      enumsAsTypes: true,
      useTypeImports: true,
      avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
      scalars: { DateTime: 'string', ID: 'string' },
      dedupeFragments: true,
    },
  });
  return `// Generated from schema.graphql and client/src/operations by \`npm run client:codegen\`; do not edit by hand.\n/* eslint-disable */\n${body}`;
}

async function main(): Promise<void> {
  const generated = await generateClientOperations();
  if (!process.argv.includes('--check')) {
    writeFileSync(OUTPUT, generated);
    console.log(`Wrote ${OUTPUT}`);
    return;
  }
  let current = '';
  try {
    current = readFileSync(OUTPUT, 'utf8');
  } catch {
    // A missing file is reported as stale below.
  }
  if (current !== generated) {
    console.error('client/src/generated/graphql.ts is stale: run `npm run client:codegen` and commit the result.');
    process.exit(1);
  }
  console.log('client/src/generated/graphql.ts is up to date.');
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
