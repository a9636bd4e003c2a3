import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';

/**
 * The results of SMTP server checks (scheduled probes and verifySmtpServer), the last 100 per
 * server, and one lease row so that of several instances on one database only one probes at a time.
 */
export class SmtpHealth1764806400000 implements MigrationInterface {
  name = 'SmtpHealth1764806400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'smtp_check',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'server_id', type: 'int' },
          { name: 'checked_at', type: 'bigint' },
          { name: 'ok', type: 'boolean' },
          { name: 'reached_stage', type: 'varchar', length: '16' },
          { name: 'error_code', type: 'varchar', length: '32', isNullable: true },
          { name: 'response_code', type: 'int', isNullable: true },
          { name: 'enhanced_status', type: 'varchar', length: '16', isNullable: true },
          { name: 'message', type: 'varchar', length: '500', isNullable: true },
          { name: 'duration_ms', type: 'int' },
        ],
      }),
    );
    await queryRunner.createIndex('smtp_check', new TableIndex({ name: 'IDX_smtp_check_server', columnNames: ['server_id', 'id'] }));
    await queryRunner.createForeignKey(
      'smtp_check',
      new TableForeignKey({ columnNames: ['server_id'], referencedTableName: 'smtp_server', referencedColumnNames: ['id'], onDelete: 'CASCADE' }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'probe_lease',
        columns: [
          { name: 'name', type: 'varchar', length: '32', isPrimary: true },
          { name: 'holder', type: 'varchar', length: '64', isNullable: true },
          { name: 'expires_at', type: 'bigint' },
        ],
      }),
    );
    // The row exists from the start, so taking the lease is always one conditional UPDATE.
    await queryRunner.query("INSERT INTO probe_lease (name, holder, expires_at) VALUES ('smtp_probe', NULL, 0)");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('probe_lease');
    await queryRunner.dropTable('smtp_check');
  }
}
