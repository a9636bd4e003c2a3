import { Department } from '../department/department.entity';
import { Library } from '../library/library.entity';
import type { Loaders } from '../context';
import { SettingScope } from '../settings/setting.enums';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { MailPurpose } from './mail.enums';
import { EffectiveMailConfig } from './mail-config.types';
import { MailSnapshot, ResolvedMailConfig, resolveMailConfig } from './resolve-mail-config';
import { Metrics } from '../observability/metrics';
import { SnapshotStore } from '../snapshot/snapshot-store';

/**
 * Feeds the pure resolution. With the snapshot cache it reads memory only; without it, everything
 * comes through the request's loaders, so resolving for many departments in one request still
 * costs a fixed number of statements.
 */
export class MailConfigService {
  constructor(
    private readonly store: SnapshotStore | null = null,
    private readonly metrics: Metrics = new Metrics(),
  ) {}

  /** Library and department lookups: from the snapshot when there is one, so a warm request costs no SQL. */
  targets(loaders: Loaders) {
    return this.store?.current?.targetLoaders() ?? loaders;
  }

  async resolve(loaders: Loaders, library: Library, department: Department | null, purpose: MailPurpose): Promise<EffectiveMailConfig> {
    const snapshot = this.store?.current;
    this.metrics.cacheLookup(Boolean(snapshot));
    if (snapshot) {
      // The snapshot's own rows, so the whole answer is from one revision.
      const current = snapshot.libraries.get(library.id) ?? library;
      const currentDepartment = department ? snapshot.departments.get(department.id) ?? department : null;
      return this.present(resolveMailConfig(snapshot.mailSnapshot(current, currentDepartment), purpose), current, currentDepartment, snapshot.servers, this.store?.stale ?? false);
    }
    const [servers, definitions, globalValues, libraryValues, departmentValues] = await Promise.all([
      loaders.allServers(),
      loaders.allDefinitions(),
      loaders.globalValues.load(SettingScope.GLOBAL),
      loaders.valuesByLibrary.load(library.id),
      department ? loaders.valuesByDepartment.load(department.id) : Promise.resolve([]),
    ]);
    const serverById = new Map(servers.map((s) => [s.id, s]));
    const definitionByKey = new Map(definitions.map((d) => [d.key, d]));
    const mailSnapshot: MailSnapshot<SmtpServer> = {
      library,
      department,
      server: (id) => serverById.get(id),
      definition: (key) => definitionByKey.get(key),
      values: [...departmentValues, ...libraryValues, ...globalValues],
    };
    return this.present(resolveMailConfig(mailSnapshot, purpose), library, department, serverById, false);
  }

  private present(
    resolved: ResolvedMailConfig<SmtpServer>,
    library: Library,
    department: Department | null,
    servers: ReadonlyMap<number, SmtpServer>,
    stale: boolean,
  ): EffectiveMailConfig {
    return {
      purpose: resolved.purpose,
      library,
      department,
      servers: resolved.servers,
      sender: resolved.sender,
      trace: resolved.trace,
      problems: resolved.problems.map((p) => ({
        code: p.code,
        severity: p.severity,
        message: p.message,
        server: p.serverId === null ? null : servers.get(p.serverId) ?? null,
      })),
      stale,
    };
  }
}
