import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const DURATION_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
/** Operation names come from clients; past this many the rest share one label so series cannot explode. */
const MAX_OPERATIONS = 200;

export interface MetricsOptions {
  /** The number of SQL statements sent so far (read at scrape time). */
  sqlStatements?: () => number;
  /**
   * The standard process metrics (event-loop lag, heap, GC, file descriptors). Off by default so
   * the many gateways a test run starts do not each install event-loop and GC observers.
   */
  processMetrics?: boolean;
}

/** Queries answered without running them: from the response cache, or 304 by their entity tag. */
function answeredFromMemoryMetrics(registry: Registry) {
  return {
    responseCacheHits: new Counter({
      name: 'mail_gateway_response_cache_hits_total',
      help: 'Snapshot-only queries answered from the response cache',
      registers: [registry],
    }),
    notModifiedAnswers: new Counter({
      name: 'mail_gateway_not_modified_total',
      help: 'GET queries answered 304 Not Modified (without running them)',
      registers: [registry],
    }),
  };
}

/** How the configuration snapshot keeps up: full loads, changes applied without one, and the revision checks. */
function snapshotMetrics(registry: Registry) {
  const registers = [registry];
  return {
    reloads: new Counter({ name: 'mail_gateway_config_snapshot_reloads_total', help: 'Configuration snapshot reloads', registers }),
    applied: new Counter({
      name: 'mail_gateway_config_changes_applied_total',
      help: "Configuration writes applied to the snapshot without a reload: this instance's own (own) or replayed from the change log (log)",
      labelNames: ['source'] as const,
      registers,
    }),
    revisionChecks: new Counter({
      name: 'mail_gateway_config_revision_checks_total',
      help: 'Checks of the configuration revision (one small query each)',
      registers,
    }),
    reloadFailures: new Counter({
      name: 'mail_gateway_config_snapshot_refresh_failures_total',
      help: 'Failed checks of the configuration revision (database unreachable)',
      registers,
    }),
    lastReload: new Gauge({ name: 'mail_gateway_config_snapshot_last_reload_ms', help: 'Duration of the last snapshot reload in milliseconds', registers }),
  };
}

/** The gateway's Prometheus metrics, each instance with a registry of its own. */
export class Metrics {
  readonly registry = new Registry();
  private readonly operations = new Set<string>();
  private readonly requests: Counter<'operation'>;
  private readonly errors: Counter<'operation'>;
  private readonly duration: Histogram<'operation'>;
  private readonly cacheLookups: Counter<'result'>;
  private readonly responseCacheHits: Counter;
  private readonly notModifiedAnswers: Counter;
  private readonly reloads: Counter;
  private readonly revisionChecks: Counter;
  private readonly applied: Counter<'source'>;
  private readonly reloadFailures: Counter;
  private readonly lastReload: Gauge;
  private readonly attempts: Counter<'code'>;
  private readonly serverUp: Gauge<'server'>;
  private readonly probeDurations: Histogram;
  private readonly erroredLibraries: Gauge;
  private readonly subscriptions = subscriptionMetrics(this.registry);

  constructor(options: MetricsOptions | (() => number) = {}) {
    const { sqlStatements = () => 0, processMetrics = false } = typeof options === 'function' ? { sqlStatements: options } : options;
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'mail_gateway_graphql_requests_total',
      help: 'GraphQL requests by operation name',
      labelNames: ['operation'],
      registers,
    });
    this.errors = new Counter({
      name: 'mail_gateway_graphql_errors_total',
      help: 'GraphQL requests that returned errors, by operation name',
      labelNames: ['operation'],
      registers,
    });
    this.duration = new Histogram({
      name: 'mail_gateway_graphql_request_duration_ms',
      help: 'GraphQL request duration in milliseconds, by operation name',
      labelNames: ['operation'],
      buckets: DURATION_BUCKETS_MS,
      registers,
    });
    this.cacheLookups = new Counter({
      name: 'mail_gateway_config_cache_lookups_total',
      help: 'Effective configurations answered from the snapshot (hit) or the database (miss)',
      labelNames: ['result'],
      registers,
    });
    this.cacheLookups.inc({ result: 'hit' }, 0);
    this.cacheLookups.inc({ result: 'miss' }, 0);
    ({ responseCacheHits: this.responseCacheHits, notModifiedAnswers: this.notModifiedAnswers } = answeredFromMemoryMetrics(this.registry));
    ({
      reloads: this.reloads,
      applied: this.applied,
      revisionChecks: this.revisionChecks,
      reloadFailures: this.reloadFailures,
      lastReload: this.lastReload,
    } = snapshotMetrics(this.registry));
    this.attempts = new Counter({
      name: 'mail_gateway_test_mail_attempts_total',
      help: 'Test-mail delivery attempts by error code (OK for delivered)',
      labelNames: ['code'],
      registers,
    });
    ({ serverUp: this.serverUp, probeDurations: this.probeDurations, erroredLibraries: this.erroredLibraries } = healthMetrics(this.registry));
    observeProcess(this.registry, sqlStatements, processMetrics);
  }

  /** One series per existing server (names are bounded by the number of servers). */
  serverHealth(servers: Array<{ server: string; up: number | null }>): void {
    this.serverUp.reset();
    for (const { server, up } of servers) if (up !== null) this.serverUp.set({ server }, up);
  }

  probeDuration(durationMs: number): void {
    this.probeDurations.observe(durationMs);
  }

  librariesWithErrors(count: number): void {
    this.erroredLibraries.set(count);
  }

  /** A subscription opened (+1) or ended (-1). */
  subscriptionsOpen(delta: number): void {
    this.subscriptions.open.inc(delta);
  }

  /** A WebSocket connection opened (+1) or closed (-1). */
  websocketConnections(delta: number): void {
    this.subscriptions.connections.inc(delta);
  }

  /** One effective configuration resolved for the subscriptions of one (library, department, purpose). */
  subscriptionResolved(): void {
    this.subscriptions.resolutions.inc();
  }

  /** Updates handed to subscribers (the first answer of each subscription included). */
  subscriptionUpdates(count: number): void {
    this.subscriptions.updates.inc(count);
  }

  request(operation: string | null, durationMs: number, failed: boolean): void {
    let name = operation && /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(operation) ? operation : 'anonymous';
    if (!this.operations.has(name)) {
      if (this.operations.size >= MAX_OPERATIONS) name = 'other';
      else this.operations.add(name);
    }
    this.requests.inc({ operation: name });
    this.errors.inc({ operation: name }, failed ? 1 : 0);
    this.duration.observe({ operation: name }, durationMs);
  }

  cacheLookup(hit: boolean): void {
    this.cacheLookups.inc({ result: hit ? 'hit' : 'miss' });
  }

  responseCacheHit(): void {
    this.responseCacheHits.inc();
  }

  changesApplied(source: 'own' | 'log', revisions: number): void {
    this.applied.inc({ source }, revisions);
  }

  notModified(): void {
    this.notModifiedAnswers.inc();
  }

  snapshotReloaded(durationMs: number): void {
    this.reloads.inc();
    this.lastReload.set(durationMs);
  }

  revisionChecked(): void {
    this.revisionChecks.inc();
  }

  snapshotRefreshFailed(): void {
    this.reloadFailures.inc();
  }

  testMailAttempt(errorCode: string | null): void {
    this.attempts.inc({ code: errorCode ?? 'OK' });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}

/** The SMTP servers' health as the scheduled checks see it, and the network's libraries in error. */
function healthMetrics(registry: Registry) {
  const registers = [registry];
  const serverUp = new Gauge({
    name: 'smtp_server_up',
    help: 'SMTP server health from the scheduled checks: 1 up, 0 down (absent while unknown)',
    labelNames: ['server'],
    registers,
  });
  const probeDurations = new Histogram({
    name: 'mail_gateway_smtp_probe_duration_ms',
    help: 'Duration of scheduled SMTP server checks in milliseconds',
    buckets: DURATION_BUCKETS_MS,
    registers,
  });
  const erroredLibraries = new Gauge({
    name: 'mail_gateway_libraries_with_errors',
    help: 'Libraries with at least one ERROR in their mail configuration (any department or purpose)',
    registers,
  });
  return { serverUp, probeDurations, erroredLibraries };
}

/** The change stream: open subscriptions and connections, resolutions shared by them, updates sent. */
function subscriptionMetrics(registry: Registry) {
  const registers = [registry];
  return {
    open: new Gauge({ name: 'mail_gateway_subscriptions_open', help: 'Open GraphQL subscriptions (over WebSocket)', registers }),
    connections: new Gauge({ name: 'mail_gateway_websocket_connections_open', help: 'Open WebSocket connections on /graphql', registers }),
    resolutions: new Counter({
      name: 'mail_gateway_subscription_resolutions_total',
      help: 'Effective configurations resolved for subscriptions: one per distinct (library, department, purpose) per change, however many subscribe',
      registers,
    }),
    updates: new Counter({ name: 'mail_gateway_subscription_updates_total', help: 'Subscription updates handed to subscribers', registers }),
  };
}

/** Values read at scrape time: the SQL statement count and the process's own figures. */
function observeProcess(registry: Registry, sqlStatements: () => number, processMetrics: boolean): void {
  const registers = [registry];
  // The statement counter lives in the database layer; the counter mirrors it at scrape time.
  new Counter({
    name: 'mail_gateway_sql_statements_total',
    help: 'SQL statements sent to the configuration database',
    registers,
    collect() {
      this.reset();
      this.inc(sqlStatements());
    },
  });
  if (processMetrics) collectDefaultMetrics({ register: registry });
  else {
    new Gauge({
      name: 'process_resident_memory_bytes',
      help: 'Resident memory size in bytes',
      registers,
      collect() {
        this.set(process.memoryUsage().rss);
      },
    });
  }
}
