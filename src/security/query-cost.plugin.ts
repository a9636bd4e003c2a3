import { ApolloServerPlugin } from '@apollo/server';
import { DocumentNode, GraphQLSchema } from 'graphql';
import { DataSource } from 'typeorm';
import { ApiError, ErrorCode, isDatabaseUnavailable, ServiceUnavailableError } from '../common/errors';
import type { ConfigCounts, ConfigSnapshot } from '../snapshot/config-snapshot';
import { estimateCost } from './query-cost';

export class QueryTooExpensiveError extends ApiError {
  constructor(cost: number, limit: number) {
    super(
      ErrorCode.QUERY_TOO_EXPENSIVE,
      `The query could return about ${cost} values; at most ${limit} are allowed. Select fewer nested lists, or page them with first/limit.`,
      { cost, limit, http: { status: 400 } },
    );
  }
}

const NOTHING_COUNTED: ConfigCounts = { libraries: 0, departments: 0, largestDepartmentList: 0, servers: 0, settingValues: 0, definitions: 0 };

/** One statement, the same on SQLite and MySQL; only for requests that need sizes and have no snapshot. */
export async function countConfiguration(dataSource: DataSource): Promise<ConfigCounts> {
  const rows: Array<Record<string, number | string | null>> = await dataSource.query(
    `SELECT (SELECT COUNT(*) FROM library) AS libraries, (SELECT COUNT(*) FROM department) AS departments,
      (SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM department GROUP BY libraryId) AS sizes) AS largestDepartmentList,
      (SELECT COUNT(*) FROM smtp_server) AS servers, (SELECT COUNT(*) FROM setting_value) AS settingValues,
      (SELECT COUNT(*) FROM setting_definition) AS definitions`,
  );
  const row = rows[0] ?? {};
  const number = (key: keyof ConfigCounts) => Number(row[key] ?? 0);
  return {
    libraries: number('libraries'),
    departments: number('departments'),
    largestDepartmentList: number('largestDepartmentList'),
    servers: number('servers'),
    settingValues: number('settingValues'),
    definitions: number('definitions'),
  };
}

/** Refuses a document whose estimated cost is over the limit; throws QueryTooExpensiveError. */
export type CostCheck = (document: DocumentNode, schema: GraphQLSchema, variables: Record<string, unknown>, operationName?: string | null) => Promise<void>;

/**
 * Refuses, before execution, an operation whose answer could hold more than `maxCost` field
 * values. Sizes come from the configuration snapshot (no SQL); without one, from one counting
 * statement, and only when the estimate depends on them.
 */
export function createCostCheck(limits: { maxCost: number }, dataSource: DataSource, snapshot: () => ConfigSnapshot | null): CostCheck {
  const counted = async (): Promise<ConfigCounts> => {
    try {
      return await countConfiguration(dataSource);
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw new ServiceUnavailableError('The configuration database cannot be reached right now. Try again shortly.');
      throw error;
    }
  };
  return async (document, schema, variables, operationName) => {
    const counts = snapshot()?.counts;
    let estimate = estimateCost(document, schema, counts ?? NOTHING_COUNTED, variables, operationName);
    if (!counts && estimate.usesCounts) estimate = estimateCost(document, schema, await counted(), variables, operationName);
    if (estimate.cost > limits.maxCost) throw new QueryTooExpensiveError(estimate.cost, limits.maxCost);
  };
}

/** The cost check for every operation Apollo runs. */
export function queryCostPlugin(limits: { maxCost: number }, dataSource: DataSource, snapshot: () => ConfigSnapshot | null): ApolloServerPlugin {
  const check = createCostCheck(limits, dataSource, snapshot);
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operationName, schema, request }) {
          await check(document, schema, request.variables ?? {}, operationName);
        },
      };
    },
  };
}
