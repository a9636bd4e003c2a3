import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableForeignKeyOptions } from 'typeorm';

const id: TableColumnOptions = { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' };
const audited: TableColumnOptions[] = [
  { name: 'version', type: 'int', default: 1 },
  { name: 'createdAt', type: 'datetime', precision: 3 },
  { name: 'updatedAt', type: 'datetime', precision: 3 },
  { name: 'updatedBy', type: 'varchar', length: '255', isNullable: true },
];

function references(column: string, table: string, referencedColumn = 'id'): TableForeignKeyOptions {
  return { columnNames: [column], referencedTableName: table, referencedColumnNames: [referencedColumn], onDelete: 'RESTRICT' };
}

function timestamp(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

/**
 * The configuration graph (R1, R4-R9, D3). Written with the schema builder so that the same
 * migration creates identical tables and foreign keys on MySQL/MariaDB and on SQLite.
 */
export class InitialSchema1764201600000 implements MigrationInterface {
  name = 'InitialSchema1764201600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'smtp_server',
        columns: [
          id,
          { name: 'name', type: 'varchar', length: '200' },
          { name: 'host', type: 'varchar', length: '255' },
          { name: 'port', type: 'int' },
          { name: 'protocol', type: 'varchar', length: '16', default: "'SMTP'" },
          { name: 'username', type: 'varchar', length: '255', isNullable: true },
          { name: 'password', type: 'text', isNullable: true },
          { name: 'allowTls', type: 'boolean', default: false },
          { name: 'allowSsl', type: 'boolean', default: false },
          { name: 'requiresAuth', type: 'boolean', default: false },
          { name: 'connectionTimeoutMs', type: 'int' },
          { name: 'timeoutMs', type: 'int' },
          { name: 'nextServerId', type: 'int', isNullable: true },
          ...audited,
        ],
        foreignKeys: [references('nextServerId', 'smtp_server')],
        indices: [{ columnNames: ['nextServerId'] }],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'library',
        columns: [
          id,
          { name: 'code', type: 'varchar', length: '64' },
          { name: 'name', type: 'varchar', length: '200' },
          { name: 'shortName', type: 'varchar', length: '100', isNullable: true },
          { name: 'contactEmail', type: 'varchar', length: '254', isNullable: true },
          { name: 'smtpServerId', type: 'int', isNullable: true },
          ...audited,
        ],
        uniques: [{ name: 'UQ_library_code', columnNames: ['code'] }],
        foreignKeys: [references('smtpServerId', 'smtp_server')],
        indices: [{ columnNames: ['smtpServerId'] }],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'department',
        columns: [
          id,
          { name: 'libraryId', type: 'int' },
          { name: 'name', type: 'varchar', length: '200' },
          { name: 'email', type: 'varchar', length: '254', isNullable: true },
          { name: 'smtpServerId', type: 'int', isNullable: true },
          ...audited,
        ],
        foreignKeys: [references('libraryId', 'library'), references('smtpServerId', 'smtp_server')],
        indices: [{ columnNames: ['libraryId'] }, { columnNames: ['smtpServerId'] }],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'setting_definition',
        columns: [
          { name: 'key', type: 'varchar', length: '64', isPrimary: true },
          { name: 'description', type: 'varchar', length: '1000', isNullable: true },
          { name: 'valueType', type: 'varchar', length: '16' },
          { name: 'allowedScopes', type: 'text' },
          { name: 'builtIn', type: 'boolean', default: false },
          ...audited,
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'setting_value',
        columns: [
          id,
          { name: 'key', type: 'varchar', length: '64' },
          { name: 'scope', type: 'varchar', length: '16' },
          { name: 'scopeKey', type: 'varchar', length: '40' },
          { name: 'libraryId', type: 'int', isNullable: true },
          { name: 'departmentId', type: 'int', isNullable: true },
          { name: 'value', type: 'text', isNullable: true },
          { name: 'smtpServerId', type: 'int', isNullable: true },
          ...audited,
        ],
        uniques: [{ name: 'UQ_setting_value_key_scope', columnNames: ['key', 'scopeKey'] }],
        foreignKeys: [
          references('key', 'setting_definition', 'key'),
          references('libraryId', 'library'),
          references('departmentId', 'department'),
          references('smtpServerId', 'smtp_server'),
        ],
        indices: [{ columnNames: ['libraryId'] }, { columnNames: ['departmentId'] }, { columnNames: ['smtpServerId'] }],
      }),
    );

    const now = timestamp(new Date());
    const builtIns: Array<[string, string, string, string]> = [
      ['DEFAULT_SMTP_SERVER', 'The SMTP server used when neither the department nor the library picks one (R3, R4).', 'SMTP_SERVER', 'GLOBAL'],
      ['ILS_SMTP_SERVER', 'A separate SMTP server for interlibrary-loan requests, set per library (R6).', 'SMTP_SERVER', 'LIBRARY'],
      ['ILS_EMAIL', 'A separate sender address for interlibrary-loan mail, set per library (R9).', 'EMAIL', 'LIBRARY'],
    ];
    for (const [key, description, valueType, scopes] of builtIns) {
      await queryRunner.query(
        'INSERT INTO setting_definition (`key`, description, valueType, allowedScopes, builtIn, version, createdAt, updatedAt, updatedBy) VALUES (?, ?, ?, ?, 1, 1, ?, ?, ?)',
        [key, description, valueType, scopes, now, now, 'system'],
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['setting_value', 'setting_definition', 'department', 'library', 'smtp_server']) {
      await queryRunner.dropTable(table);
    }
  }
}
