import { AbstractLogger, LogLevel, LogMessage, QueryRunner } from 'typeorm';

/**
 * Counts every SQL statement TypeORM sends, so tests and benchmarks can prove that a query
 * costs a fixed number of statements. It never prints parameters (they may hold secrets).
 */
export class StatementCounter extends AbstractLogger {
  count = 0;

  constructor(private readonly onError?: (message: string) => void) {
    super();
  }

  override logQuery(_query: string, _parameters?: unknown[], _queryRunner?: QueryRunner): void {
    this.count += 1;
  }

  override logQueryError(error: string | Error, query: string): void {
    this.onError?.(`SQL error: ${error instanceof Error ? error.message : error} in: ${query}`);
  }

  protected writeLog(_level: LogLevel, _message: LogMessage | LogMessage[] | string | number): void {
    // Only counting and query errors matter; TypeORM's other chatter is not logged.
  }
}
