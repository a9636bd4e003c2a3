import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printSchema } from 'graphql';
import { buildGatewaySchema } from '../src/schema';

/** Writes schema.graphql from the code, or with --check fails when the checked-in file differs. */
export async function printGatewaySchema(): Promise<string> {
  const header = '# Emitted from the code by `npm run schema:emit`; do not edit by hand.\n\n';
  return `${header}${printSchema(await buildGatewaySchema())}\n`;
}

async function main(): Promise<void> {
  const path = join(__dirname, '..', 'schema.graphql');
  const schema = await printGatewaySchema();
  if (!process.argv.includes('--check')) {
    writeFileSync(path, schema);
    console.log(`Wrote ${path}`);
    return;
  }
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    // A missing file is reported as stale below.
  }
  if (current !== schema) {
    console.error('schema.graphql is stale: run `npm run schema:emit` and commit the result.');
    process.exit(1);
  }
  console.log('schema.graphql is up to date.');
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
