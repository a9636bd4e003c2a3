import { DataSource } from 'typeorm';
import { Department } from '../../src/department/department.entity';
import { Library } from '../../src/library/library.entity';
import { SettingValue } from '../../src/settings/setting-value.entity';
import { SettingScope } from '../../src/settings/setting.enums';
import { SmtpServer } from '../../src/smtp-server/smtp-server.entity';

const audit = () => ({ version: 1, createdAt: new Date(), updatedAt: new Date(), updatedBy: 'seed' });

/** Inserts rows directly, for tests that need many of them or data the API would refuse. */
export async function insertServer(dataSource: DataSource, fields: Partial<SmtpServer> & { name: string }): Promise<SmtpServer> {
  return dataSource.getRepository(SmtpServer).save({
    host: 'smtp.example.org',
    port: 587,
    protocol: 'SMTP',
    username: null,
    password: null,
    allowTls: true,
    allowSsl: false,
    requiresAuth: false,
    connectionTimeoutMs: 30000,
    timeoutMs: 180000,
    nextServerId: null,
    ...audit(),
    ...fields,
  } as SmtpServer);
}

/**
 * Adds `count` libraries with `departmentsPerLibrary` departments each; every library and every
 * department picks a server, and every library has an ILL server setting.
 */
export async function insertNetwork(dataSource: DataSource, first: number, count: number, servers: SmtpServer[], departmentsPerLibrary = 5): Promise<void> {
  await dataSource.transaction(async (manager) => {
    for (let i = first; i < first + count; i++) {
      const library = await manager.save(Library, {
        code: `LIB${i}`,
        name: `Library ${i}`,
        shortName: `L${i}`,
        contactEmail: `library${i}@example.org`,
        smtpServerId: servers[i % servers.length].id,
        ...audit(),
      } as Library);
      await manager.save(SettingValue, {
        key: 'ILS_SMTP_SERVER',
        scope: SettingScope.LIBRARY,
        scopeKey: `LIBRARY:${library.id}`,
        libraryId: library.id,
        departmentId: null,
        value: String(servers[0].id),
        smtpServerId: servers[0].id,
        ...audit(),
      } as SettingValue);
      const departments = Array.from({ length: departmentsPerLibrary }, (_, d) => ({
        libraryId: library.id,
        name: `Department ${i}.${d}`,
        email: d % 2 ? `dept${i}.${d}@example.org` : null,
        smtpServerId: d % 2 ? servers[(i + d) % servers.length].id : null,
        ...audit(),
      }));
      await manager.save(Department, departments as Department[]);
    }
  });
}
