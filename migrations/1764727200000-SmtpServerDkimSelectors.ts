import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/** The DKIM selectors a server signs with, comma-separated; the deliverability report checks their keys. */
export class SmtpServerDkimSelectors1764727200000 implements MigrationInterface {
  name = 'SmtpServerDkimSelectors1764727200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('smtp_server', new TableColumn({ name: 'dkimSelectors', type: 'varchar', length: '700', isNullable: false, default: "''" }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('smtp_server', 'dkimSelectors');
  }
}
