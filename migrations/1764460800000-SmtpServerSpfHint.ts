import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/** D13: the SPF mechanism that authorises a server (e.g. include:clavius.cz), used in suggestions. */
export class SmtpServerSpfHint1764460800000 implements MigrationInterface {
  name = 'SmtpServerSpfHint1764460800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('smtp_server', new TableColumn({ name: 'spfHint', type: 'varchar', length: '255', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('smtp_server', 'spfHint');
  }
}
