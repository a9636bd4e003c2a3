import type { Loaders } from '../loaders.type';
import { Department } from '../department/department.entity';
import { Library } from '../library/library.entity';
import { HealthStore } from '../health/health.store';
import { Metrics } from '../observability/metrics';
import { valuesInScope } from '../settings/settings.loaders';
import { perSnapshot } from '../snapshot/per-snapshot';
import { SnapshotStore } from '../snapshot/snapshot-store';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { MailPurpose, ProblemSeverity } from './mail.enums';
import { EffectiveMailConfig } from './mail-config.types';
import { MailSnapshot, ResolvedMailConfig, resolveMailConfig } from './resolve-mail-config';

/**
 * Feeds the pure resolution from the request's loaders: from memory with the configuration
 * snapshot, otherwise from the database in batches, so resolving for many departments in one
 * request costs a fixed number of statements either way.
 */
export class MailConfigService {
  constructor(
    private readonly store: SnapshotStore | null = null,
    private readonly metrics: Metrics = new Metrics(),
    private readonly health: HealthStore | null = null,
  ) {}

  async resolve(loaders: Loaders, library: Library, department: Department | null, purpose: MailPurpose): Promise<EffectiveMailConfig> {
    this.metrics.cacheLookup(loaders.fromSnapshot);
    const [revision, servers, definitions, values] = await Promise.all([
      loaders.revision(),
      loaders.serverIndex(),
      loaders.definitionIndex(),
      valuesInScope(loaders, { libraryId: library.id, departmentId: department?.id ?? null }),
    ]);
    const snapshot: MailSnapshot<SmtpServer> = {
      library,
      department,
      server: (id) => servers.get(id),
      definition: (key) => definitions.get(key),
      values,
      health: this.health ? (id) => (this.health as HealthStore).status(id) : undefined,
    };
    const stale = loaders.fromSnapshot && (this.store?.stale ?? false);
    return { ...this.present(resolveMailConfig(snapshot, purpose), library, department, servers, stale), revision, asOf: null };
  }

  /**
   * Whether the effective configuration has an error or a warning for any purpose. Remembered per
   * snapshot and health epoch, by row: unchanged rows are shared between snapshots, while the
   * answer also depends on the servers, settings and health around them.
   */
  async hasProblems(loaders: Loaders, library: Library, department: Department | null): Promise<boolean> {
    const row = department ?? library;
    const memo = loaders.snapshot
      ? perSnapshot(loaders.snapshot, `problems at health epoch ${this.health?.epoch ?? 0}`, () => new WeakMap<object, boolean>())
      : null;
    const known = memo?.get(row);
    if (known !== undefined) return known;
    const configs = await Promise.all(Object.values(MailPurpose).map((purpose) => this.resolve(loaders, library, department, purpose)));
    const found = configs.some((config) => config.problems.some((p) => p.severity === ProblemSeverity.ERROR || p.severity === ProblemSeverity.WARNING));
    memo?.set(row, found);
    return found;
  }

  private present(
    resolved: ResolvedMailConfig<SmtpServer>,
    library: Library,
    department: Department | null,
    servers: ReadonlyMap<number, SmtpServer>,
    stale: boolean,
  ): Omit<EffectiveMailConfig, 'revision' | 'asOf'> {
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
        server: p.serverId === null ? null : (servers.get(p.serverId) ?? null),
      })),
      stale,
    };
  }
}
