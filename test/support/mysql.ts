import { createConnection } from 'mysql2/promise';

/** Where the MariaDB/MySQL half of the suite runs; every test file gets its own database there. */
export const MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

export async function mysqlReachable(): Promise<string | null> {
  try {
    const connection = await createConnection({ uri: MYSQL_URL, connectTimeout: 3000 });
    await connection.query('SELECT 1');
    await connection.end();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export async function withServerConnection<T>(work: (c: Awaited<ReturnType<typeof createConnection>>) => Promise<T>): Promise<T> {
  const connection = await createConnection({ uri: MYSQL_URL, connectTimeout: 3000 });
  try {
    return await work(connection);
  } finally {
    await connection.end();
  }
}
