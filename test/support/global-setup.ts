import { mysqlReachable, MYSQL_URL } from './mysql';

/**
 * Decides once per run whether the MySQL half runs. With REQUIRE_MYSQL=1 (as CI sets it) an
 * unreachable server fails the run instead of being skipped.
 */
export default async function globalSetup(): Promise<void> {
  const problem = await mysqlReachable();
  if (problem === null) {
    process.env.TEST_MYSQL_AVAILABLE = '1';
    return;
  }
  if (process.env.REQUIRE_MYSQL === '1') {
    throw new Error(`REQUIRE_MYSQL=1 but MySQL/MariaDB at ${MYSQL_URL} is not reachable: ${problem}`);
  }
  process.env.TEST_MYSQL_AVAILABLE = '0';
  process.stdout.write(
    `\n*** MySQL/MariaDB at ${MYSQL_URL} is not reachable (${problem}).\n` +
      '*** The MySQL half of the database tests is SKIPPED; only SQLite runs. Set REQUIRE_MYSQL=1 to make this an error.\n\n',
  );
}
