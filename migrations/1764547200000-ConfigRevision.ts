import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/**
 * One row whose revision every write bumps in its own transaction, so each gateway instance can
 * tell with one small query whether its in-memory configuration snapshot is current.
 */
export class ConfigRevision1764547200000 implements MigrationInterface {
  name = 'ConfigRevision1764547200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'config_revision',
        columns: [
          { name: 'id', type: 'int', isPrimary: true },
          { name: 'revision', type: 'int' },
        ],
      }),
    );
    await queryRunner.query('INSERT INTO config_revision (id, revision) VALUES (1, 1)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('config_revision');
  }
}
