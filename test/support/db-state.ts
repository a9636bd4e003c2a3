import { GraphQLResponse, TestGateway } from './gateway';

/** Every table a mutation may write, including the audit trail and the configuration revision. */
const TABLES = ['smtp_server', 'library', 'department', 'setting_definition', 'setting_value', 'audit_entry', 'config_revision'] as const;

export interface TableState {
  counts: Record<string, number>;
  rows: Record<string, string[]>;
}

/** Row counts and full contents of every table, read with raw SQL. */
export async function tableState(gw: TestGateway): Promise<TableState> {
  const counts: Record<string, number> = {};
  const rows: Record<string, string[]> = {};
  for (const table of TABLES) {
    const [{ n }] = await gw.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`);
    counts[table] = Number(n);
    const all: Array<Record<string, unknown>> = await gw.dataSource.query(`SELECT * FROM ${table}`);
    rows[table] = all.map((row) => JSON.stringify(row)).sort();
  }
  return { counts, rows };
}

/** Runs a mutation that must fail and checks that no table changed (D10). */
export async function expectNothingWritten(gw: TestGateway, work: () => Promise<GraphQLResponse>): Promise<GraphQLResponse> {
  const before = await tableState(gw);
  const result = await work();
  const after = await tableState(gw);
  expect(result.errors?.length).toBeGreaterThan(0);
  expect(after.counts).toEqual(before.counts);
  expect(after.rows).toEqual(before.rows);
  return result;
}
