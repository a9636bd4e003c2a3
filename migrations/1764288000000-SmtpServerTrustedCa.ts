import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/** D9: a per-server trusted CA, so private CAs verify without turning certificate checks off. */
export class SmtpServerTrustedCa1764288000000 implements MigrationInterface {
  name = 'SmtpServerTrustedCa1764288000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('smtp_server', new TableColumn({ name: 'tlsCaPem', type: 'text', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('smtp_server', 'tlsCaPem');
  }
}
