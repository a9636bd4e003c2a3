import { Capability, inScope, Scope, scopeOf } from '../auth/access';
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

interface OverviewFilter {
  threshold: number;
  purpose: MailPurpose | null;
  code: string | null;
}

interface OverviewView {
  matching: Array<{ item: MailHealthItem; key: SortKey }>;
  summary: ProblemCount[];
}

/** Distinct (scope, severity, purpose, code) views kept per network; past that they are rebuilt. */
const MAX_VIEWS = 64;

const problemsOnly = new WeakMap<Evaluated[], Evaluated[]>();

/** A healthy configuration is never in the overview, whatever the filter; most of a network is. */
function withProblems(evaluated: Evaluated[]): Evaluated[] {
  let kept = problemsOnly.get(evaluated);
  if (!kept) {
    kept = evaluated.filter((e) => e.config.problems.length > 0);
    problemsOnly.set(evaluated, kept);
  }
  return kept;
}

/** The index of the first item after the cursor's position (binary search over the sorted view). */
function firstAfter(matching: ReadonlyArray<{ key: SortKey }>, after: SortKey): number {
  let low = 0;
  let high = matching.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareKeys(matching[middle].key, after) > 0) high = middle;
    else low = middle + 1;
  }
  return low;
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
  /** Filtered, sorted views of one resolved network, for as long as that network and its findings stand. */
  private readonly views = new WeakMap<Evaluated[], { findings: Map<string, DeliverabilityFinding[]>; byFilter: Map<string, OverviewView> }>();
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
    const evaluated = await this.evaluate(loaders);
    const filter: OverviewFilter = { threshold: RANK[args.severity ?? ProblemSeverity.WARNING], purpose: args.purpose ?? null, code: args.code ?? null };
    const key = `${typeof scope === 'string' ? scope : [...scope].sort((a, b) => a - b).join(',')}|${filter.threshold}|${filter.purpose}|${filter.code}`;
    let views = this.views.get(evaluated);
    if (!views || views.findings !== this.findings) {
      views = { findings: this.findings, byFilter: new Map() };
      this.views.set(evaluated, views);
    }
    let view = views.byFilter.get(key);
    if (!view) {
      if (views.byFilter.size >= MAX_VIEWS) views.byFilter.clear();
      view = this.view(withProblems(evaluated), scope, filter);
      views.byFilter.set(key, view);
    }
    return this.page(view, after, first);
  }

  /** The items at or above the threshold, worst first, with their summary: computed once per filter. */
  private view(candidates: readonly Evaluated[], scope: Scope, filter: OverviewFilter): OverviewView {
    const matching: Array<{ item: MailHealthItem; key: SortKey }> = [];
    for (const evaluated of candidates) {
      if (filter.purpose && evaluated.purpose !== filter.purpose) continue;
      if (!inScope(scope, evaluated.library.id)) continue;
      const problems = evaluated.config.problems.filter((p) => RANK[p.severity] <= filter.threshold);
      if (problems.length === 0 || (filter.code && !problems.some((p) => p.code === filter.code))) continue;
      const worst = problems.reduce((w, p) => (RANK[p.severity] < RANK[w] ? p.severity : w), problems[0].severity);
      const pair = pairKey(evaluated.config);
      const item = { ...evaluated, worstSeverity: worst, problems, findings: (pair && this.findings.get(pair)) || [] };
      matching.push({ item, key: [RANK[worst], ...evaluated.key] });
    }
    matching.sort((a, b) => compareKeys(a.key, b.key));
    return { matching, summary: summarize(matching.map((m) => m.item)) };
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

  private page({ matching, summary }: OverviewView, after: SortKey | null, first: number): MailHealthConnection {
    const from = after ? firstAfter(matching, after) : 0;
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
      summary,
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
