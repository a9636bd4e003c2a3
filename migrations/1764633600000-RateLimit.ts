import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The counters of rate-limiter-flexible's MySQL store, so every instance on one MySQL/MariaDB
 * database shares one budget per identity. The columns and their order are the ones that library
 * writes (`INSERT ... VALUES (key, points, expire)`); it is told the table exists and never runs
 * DDL itself. SQLite needs no table: an SQLite gateway is a single instance and counts in memory.
 */
export class RateLimit1764633600000 implements MigrationInterface {
  name = 'RateLimit1764633600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (!isMysql(queryRunner)) return;
    await queryRunner.query(
      'CREATE TABLE `rate_limit` (' +
        '`key` VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, ' +
        '`points` INT NOT NULL DEFAULT 0, ' +
        '`expire` BIGINT UNSIGNED NULL, ' +
        'PRIMARY KEY (`key`)' +
        ') ENGINE = InnoDB',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (!isMysql(queryRunner)) return;
    await queryRunner.query('DROP TABLE `rate_limit`');
  }
}

function isMysql(queryRunner: QueryRunner): boolean {
  const type = queryRunner.connection.driver.options.type;
  return type === 'mysql' || type === 'mariadb';
}
