/**
 * The gateway's Prometheus metrics, kept in plain counters: a handful of series, no library needed.
 * Label values come from a closed set (operation names are capped) so series cannot explode.
 */
const DURATION_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
const MAX_OPERATIONS = 200;

interface Histogram {
  buckets: number[];
  sum: number;
  count: number;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export class Metrics {
  private readonly requests = new Map<string, { count: number; errors: number; duration: Histogram }>();
  private readonly attempts = new Map<string, number>();
  private responseCacheHits = 0;
  private cacheHits = 0;
  private cacheMisses = 0;
  private reloads = 0;
  private reloadFailures = 0;
  private revisionChecks = 0;
  private lastReloadMs = 0;

  constructor(private readonly sqlStatements: () => number = () => 0) {}

  request(operation: string | null, durationMs: number, failed: boolean): void {
    let name = operation && /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(operation) ? operation : 'anonymous';
    if (!this.requests.has(name) && this.requests.size >= MAX_OPERATIONS) name = 'other';
    let entry = this.requests.get(name);
    if (!entry) {
      entry = { count: 0, errors: 0, duration: { buckets: DURATION_BUCKETS_MS.map(() => 0), sum: 0, count: 0 } };
      this.requests.set(name, entry);
    }
    entry.count += 1;
    if (failed) entry.errors += 1;
    entry.duration.sum += durationMs;
    entry.duration.count += 1;
    DURATION_BUCKETS_MS.forEach((bound, i) => {
      if (durationMs <= bound) entry.duration.buckets[i] += 1;
    });
  }

  cacheLookup(hit: boolean): void {
    if (hit) this.cacheHits += 1;
    else this.cacheMisses += 1;
  }

  responseCacheHit(): void {
    this.responseCacheHits += 1;
  }

  snapshotReloaded(durationMs: number): void {
    this.reloads += 1;
    this.lastReloadMs = durationMs;
  }

  revisionChecked(): void {
    this.revisionChecks += 1;
  }

  snapshotRefreshFailed(): void {
    this.reloadFailures += 1;
  }

  testMailAttempt(errorCode: string | null): void {
    const key = errorCode ?? 'OK';
    this.attempts.set(key, (this.attempts.get(key) ?? 0) + 1);
  }

  render(): string {
    const lines: string[] = [];
    const family = (name: string, type: string, help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    family('mail_gateway_graphql_requests_total', 'counter', 'GraphQL requests by operation name');
    for (const [op, e] of this.requests) lines.push(`mail_gateway_graphql_requests_total{operation="${escapeLabel(op)}"} ${e.count}`);
    family('mail_gateway_graphql_errors_total', 'counter', 'GraphQL requests that returned errors, by operation name');
    for (const [op, e] of this.requests) lines.push(`mail_gateway_graphql_errors_total{operation="${escapeLabel(op)}"} ${e.errors}`);
    family('mail_gateway_graphql_request_duration_ms', 'histogram', 'GraphQL request duration in milliseconds, by operation name');
    for (const [op, e] of this.requests) {
      const label = `operation="${escapeLabel(op)}"`;
      DURATION_BUCKETS_MS.forEach((bound, i) => lines.push(`mail_gateway_graphql_request_duration_ms_bucket{${label},le="${bound}"} ${e.duration.buckets[i]}`));
      lines.push(`mail_gateway_graphql_request_duration_ms_bucket{${label},le="+Inf"} ${e.duration.count}`);
      lines.push(`mail_gateway_graphql_request_duration_ms_sum{${label}} ${e.duration.sum}`);
      lines.push(`mail_gateway_graphql_request_duration_ms_count{${label}} ${e.duration.count}`);
    }
    family('mail_gateway_config_cache_lookups_total', 'counter', 'Effective configurations answered from the snapshot (hit) or the database (miss)');
    lines.push(`mail_gateway_config_cache_lookups_total{result="hit"} ${this.cacheHits}`, `mail_gateway_config_cache_lookups_total{result="miss"} ${this.cacheMisses}`);
    family('mail_gateway_response_cache_hits_total', 'counter', 'Snapshot-only queries answered from the response cache');
    lines.push(`mail_gateway_response_cache_hits_total ${this.responseCacheHits}`);
    family('mail_gateway_config_snapshot_reloads_total', 'counter', 'Configuration snapshot reloads');
    lines.push(`mail_gateway_config_snapshot_reloads_total ${this.reloads}`);
    family('mail_gateway_config_revision_checks_total', 'counter', 'Checks of the configuration revision (one small query each)');
    lines.push(`mail_gateway_config_revision_checks_total ${this.revisionChecks}`);
    family('mail_gateway_config_snapshot_refresh_failures_total', 'counter', 'Failed checks of the configuration revision (database unreachable)');
    lines.push(`mail_gateway_config_snapshot_refresh_failures_total ${this.reloadFailures}`);
    family('mail_gateway_config_snapshot_last_reload_ms', 'gauge', 'Duration of the last snapshot reload in milliseconds');
    lines.push(`mail_gateway_config_snapshot_last_reload_ms ${this.lastReloadMs}`);
    family('mail_gateway_test_mail_attempts_total', 'counter', 'Test-mail delivery attempts by error code (OK for delivered)');
    for (const [code, n] of this.attempts) lines.push(`mail_gateway_test_mail_attempts_total{code="${escapeLabel(code)}"} ${n}`);
    family('mail_gateway_sql_statements_total', 'counter', 'SQL statements sent to the configuration database');
    lines.push(`mail_gateway_sql_statements_total ${this.sqlStatements()}`);
    family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes');
    lines.push(`process_resident_memory_bytes ${process.memoryUsage().rss}`);
    return `${lines.join('\n')}\n`;
  }
}
