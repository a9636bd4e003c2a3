import { Department } from '../department/department.entity';
import { Library } from '../library/library.entity';
import type { Loaders } from '../context';
import { SettingScope } from '../settings/setting.enums';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { MailPurpose } from './mail.enums';
import { EffectiveMailConfig } from './mail-config.types';
import { MailSnapshot, resolveMailConfig } from './resolve-mail-config';

/**
 * Gathers the snapshot the pure resolution needs. Everything comes through the request's
 * loaders, so resolving for many departments in one request costs a fixed number of statements.
 */
export class MailConfigService {
  async resolve(loaders: Loaders, library: Library, department: Department | null, purpose: MailPurpose): Promise<EffectiveMailConfig> {
    const [servers, definitions, globalValues, libraryValues, departmentValues] = await Promise.all([
      loaders.allServers(),
      loaders.allDefinitions(),
      loaders.globalValues.load(SettingScope.GLOBAL),
      loaders.valuesByLibrary.load(library.id),
      department ? loaders.valuesByDepartment.load(department.id) : Promise.resolve([]),
    ]);
    const serverById = new Map(servers.map((s) => [s.id, s]));
    const definitionByKey = new Map(definitions.map((d) => [d.key, d]));
    const snapshot: MailSnapshot<SmtpServer> = {
      library,
      department,
      server: (id) => serverById.get(id),
      definition: (key) => definitionByKey.get(key),
      values: [...departmentValues, ...libraryValues, ...globalValues],
    };
    const resolved = resolveMailConfig(snapshot, purpose);
    return {
      purpose,
      library,
      department,
      servers: resolved.servers,
      sender: resolved.sender,
      trace: resolved.trace,
      problems: resolved.problems.map((p) => ({
        code: p.code,
        severity: p.severity,
        message: p.message,
        server: p.serverId === null ? null : serverById.get(p.serverId) ?? null,
      })),
    };
  }
}
