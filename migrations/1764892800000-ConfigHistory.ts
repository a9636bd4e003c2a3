import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * The audit trail becomes the configuration's change log: each entry of a configuration write
 * carries the write's revision and the row's images before and after it. `config_revision`
 * remembers from which revision on the images are complete (history starts now for an existing
 * database, and moves forward as old images are pruned).
 */
export class ConfigHistory1764892800000 implements MigrationInterface {
  name = 'ConfigHistory1764892800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // A server image may carry a 64 KiB CA bundle; TEXT on MySQL stops at 64 KiB.
    const image = queryRunner.connection.options.type === 'mysql' ? 'mediumtext' : 'text';
    await queryRunner.addColumns('audit_entry', [
      new TableColumn({ name: 'revision', type: 'int', isNullable: true }),
      new TableColumn({ name: 'beforeJson', type: image, isNullable: true }),
      new TableColumn({ name: 'afterJson', type: image, isNullable: true }),
    ]);
    await queryRunner.createIndex('audit_entry', new TableIndex({ name: 'IDX_audit_entry_revision', columnNames: ['revision'] }));
    await queryRunner.createIndex('audit_entry', new TableIndex({ name: 'IDX_audit_entry_at', columnNames: ['at'] }));
    await queryRunner.addColumns('config_revision', [
      new TableColumn({ name: 'historyRevision', type: 'int', default: 0 }),
      new TableColumn({ name: 'historySince', type: 'datetime', precision: 3, isNullable: true }),
    ]);
    // As both drivers store datetime(3): UTC, without a zone suffix.
    const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
    await queryRunner.query('UPDATE config_revision SET historyRevision = revision, historySince = ? WHERE id = 1', [now]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumns('config_revision', ['historyRevision', 'historySince']);
    await queryRunner.dropIndex('audit_entry', 'IDX_audit_entry_at');
    await queryRunner.dropIndex('audit_entry', 'IDX_audit_entry_revision');
    await queryRunner.dropColumns('audit_entry', ['revision', 'beforeJson', 'afterJson']);
  }
}
