import { Capability, inScope, scopeOf } from '../auth/access';
import type { Identity } from '../auth/identity';
import { CursorShape, decodeCursor, encodeCursor } from '../common/connection';
import { BadInputError } from '../common/errors';
import { ResolutionSource } from '../common/resolution';
import { Department } from '../department/department.entity';
import { Library } from '../library/library.entity';
import type { Loaders } from '../loaders.type';
import { DeliverabilityService } from '../mail/deliverability/deliverability.service';
import { DeliverabilityFinding } from '../mail/deliverability/deliverability.types';
import { MailConfigService } from '../mail/mail-config.service';
import { EffectiveMailConfig } from '../mail/mail-config.types';
import { MailPurpose, ProblemSeverity } from '../mail/mail.enums';
import { PURPOSE_RULES } from '../mail/resolve-mail-config';
import { SnapshotStore } from '../snapshot/snapshot-store';
import { HealthStore } from './health.store';
import { MailHealthArgs, MailHealthConnection, MailHealthItem, ProblemCount } from './mail-health.types';

/** Severity rank, purpose, library and department: the overview's order, worst first. */
const CURSOR: CursorShape = { list: 'mailHealth', kinds: ['n', 'n', 'n', 'n'] };

const RANK: Record<ProblemSeverity, number> = { [ProblemSeverity.ERROR]: 0, [ProblemSeverity.WARNING]: 1, [ProblemSeverity.INFO]: 2 };
const PURPOSES = Object.values(MailPurpose);
const MAX_PAGE = 500;

/** Purposes whose resolution reads the department; for the others a department is its library. */
const DEPARTMENT_PURPOSES = PURPOSES.filter((p) => PURPOSE_RULES[p].server.some((s) => s.kind === 'field' && s.source === ResolutionSource.DEPARTMENT));

/** One resolved configuration of the network, with its sort key. */
interface Evaluated {
  library: Library;
  department: Department | null;
  purpose: MailPurpose;
  config: EffectiveMailConfig;
  key: [number, number, number];
}

type SortKey = [number, number, number, number];

function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function pairKey(config: EffectiveMailConfig): string | null {
  const domain = config.sender?.address.split('@')[1]?.toLowerCase();
  return domain && config.servers.length > 0 ? `${domain}|${config.servers.map((s) => s.id).join(',')}` : null;
}

/**
 * The network's mail health in one view: every library and department, for each purpose, with
 * its problems (health included) and the deliverability findings of the last background pass.
 * With the snapshot on, the resolved network is kept per (snapshot, health epoch), so a page costs
 * a filter over memory, not a resolution of every department.
 */
export class MailHealthService {
  private memo: { key: string; items: Promise<Evaluated[]> } | null = null;
  private findings = new Map<string, DeliverabilityFinding[]>();
  private passing = false;

  constructor(
    private readonly mailConfig: MailConfigService,
    private readonly health: HealthStore,
    private readonly deliverability: DeliverabilityService,
    private readonly snapshots: SnapshotStore | null,
  ) {}

  async overview(loaders: Loaders, identity: Identity, args: MailHealthArgs): Promise<MailHealthConnection> {
    const first = args.first ?? 50;
    if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE) throw new BadInputError('first', `first must be between 0 and ${MAX_PAGE}`);
    const after = args.after ? this.cursorKey(args.after) : null;
    const scope = scopeOf(identity, Capability.READ_MAIL_HEALTH);
    const threshold = RANK[args.severity ?? ProblemSeverity.WARNING];
    const matching: Array<{ item: MailHealthItem; key: SortKey }> = [];
    for (const evaluated of await this.evaluate(loaders)) {
      if (args.purpose && evaluated.purpose !== args.purpose) continue;
      if (!inScope(scope, evaluated.library.id)) continue;
      const problems = evaluated.config.problems.filter((p) => RANK[p.severity] <= threshold);
      if (problems.length === 0 || (args.code && !problems.some((p) => p.code === args.code))) continue;
      const worst = problems.reduce((w, p) => (RANK[p.severity] < RANK[w] ? p.severity : w), problems[0].severity);
      const pair = pairKey(evaluated.config);
      const item = { ...evaluated, worstSeverity: worst, problems, findings: (pair && this.findings.get(pair)) || [] };
      matching.push({ item, key: [RANK[worst], ...evaluated.key] });
    }
    matching.sort((a, b) => compareKeys(a.key, b.key));
    return this.page(matching, after, first);
  }

  /** Libraries with at least one ERROR in any of their configurations, for the metrics. */
  async librariesWithErrors(loaders: Loaders): Promise<number> {
    const libraries = new Set<number>();
    for (const e of await this.evaluate(loaders)) if (e.config.problems.some((p) => p.severity === ProblemSeverity.ERROR)) libraries.add(e.library.id);
    return libraries.size;
  }

  /**
   * The background deliverability pass: each distinct (sender domain, chain) once, on its own DNS
   * budget. Queries only read its results, so they never wait on DNS.
   */
  async refreshFindings(loaders: Loaders): Promise<void> {
    if (this.passing) return;
    this.passing = true;
    try {
      const pairs = new Map<string, EffectiveMailConfig>();
      for (const e of await this.evaluate(loaders)) {
        const key = pairKey(e.config);
        if (key && !pairs.has(key)) pairs.set(key, e.config);
      }
      const findings = new Map<string, DeliverabilityFinding[]>();
      for (const [key, config] of pairs) {
        const report = await this.deliverability.check(config.sender!.address, config.servers, this.deliverability.backgroundBudget());
        findings.set(key, report.findings);
      }
      this.findings = findings;
    } finally {
      this.passing = false;
    }
  }

  private page(matching: Array<{ item: MailHealthItem; key: SortKey }>, after: SortKey | null, first: number): MailHealthConnection {
    const start = after ? matching.findIndex((m) => compareKeys(m.key, after) > 0) : 0;
    const from = start < 0 ? matching.length : start;
    const slice = matching.slice(from, from + first);
    const edges = slice.map((m) => ({ cursor: encodeCursor(CURSOR, m.key), node: m.item }));
    return {
      edges,
      nodes: edges.map((e) => e.node),
      pageInfo: {
        hasNextPage: from + first < matching.length,
        hasPreviousPage: from > 0,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges[edges.length - 1]?.cursor ?? null,
      },
      totalCount: matching.length,
      summary: summarize(matching.map((m) => m.item)),
    };
  }

  private cursorKey(cursor: string): SortKey {
    return decodeCursor(CURSOR, cursor) as unknown as SortKey;
  }

  private evaluate(loaders: Loaders): Promise<Evaluated[]> {
    const snapshot = loaders.fromSnapshot ? this.snapshots?.current : null;
    if (!snapshot) return this.resolveAll(loaders);
    const key = `${snapshot.generation}:${this.health.epoch}`;
    if (this.memo?.key !== key) {
      const items = this.resolveAll(loaders);
      this.memo = { key, items };
      items.catch(() => {
        if (this.memo?.items === items) this.memo = null;
      });
    }
    return this.memo.items;
  }

  private async resolveAll(loaders: Loaders): Promise<Evaluated[]> {
    const evaluated: Evaluated[] = [];
    for (const library of await loaders.allLibraries()) {
      const departments = await loaders.departmentsByLibrary.load(library.id);
      for (const [index, purpose] of PURPOSES.entries()) {
        const targets = DEPARTMENT_PURPOSES.includes(purpose) ? [null, ...departments] : [null];
        for (const department of targets) {
          const config = await this.mailConfig.resolve(loaders, library, department, purpose);
          evaluated.push({ library, department, purpose, config, key: [library.id, department?.id ?? 0, index] });
        }
      }
    }
    return evaluated;
  }
}

function summarize(items: MailHealthItem[]): ProblemCount[] {
  const counts = new Map<string, ProblemCount>();
  for (const item of items) {
    for (const problem of item.problems) {
      const key = `${problem.code}|${problem.severity}`;
      const entry = counts.get(key) ?? { code: problem.code, severity: problem.severity, count: 0 };
      entry.count++;
      counts.set(key, entry);
    }
  }
  return [...counts.values()].sort((a, b) => RANK[a.severity] - RANK[b.severity] || b.count - a.count || a.code.localeCompare(b.code));
}
