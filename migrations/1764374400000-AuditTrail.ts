import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** Every mutation's changes, written in the mutation's transaction (D10, D12). */
export class AuditTrail1764374400000 implements MigrationInterface {
  name = 'AuditTrail1764374400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'audit_entry',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'at', type: 'datetime', precision: 3 },
          { name: 'actor', type: 'varchar', length: '255' },
          { name: 'action', type: 'varchar', length: '64' },
          { name: 'entityType', type: 'varchar', length: '64' },
          { name: 'entityId', type: 'varchar', length: '64' },
          { name: 'libraryId', type: 'int', isNullable: true },
          { name: 'changesJson', type: 'text' },
        ],
        indices: [{ columnNames: ['entityType', 'entityId'] }, { columnNames: ['libraryId'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_entry');
  }
}
