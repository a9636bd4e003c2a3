import { DataSource } from 'typeorm';
import { Logger } from '../common/logger';
import { ProbeConfig } from '../config';
import { createLoaders } from '../context';
import { TestMailService } from '../mail/test-mail.service';
import { Metrics } from '../observability/metrics';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { SnapshotStore } from '../snapshot/snapshot-store';
import { HealthStore } from './health.store';
import { MailHealthService } from './mail-health.service';
import { ServerHealthStatus } from './health.enums';
import { ProbeLease } from './probe-lease';

/** Other instances pick up new results at least this often, however long the probe interval. */
const MAX_REFRESH_MS = 5_000;
/** ±10 %: instances started together drift apart instead of probing in step. */
const JITTER = 0.1;

export interface HealthMonitorDeps {
  dataSource: DataSource;
  store: HealthStore;
  testMail: TestMailService;
  mailHealth: MailHealthService;
  snapshots: SnapshotStore | null;
  metrics: Metrics;
  logger: Logger;
}

/**
 * Every interval (with jitter) the instance holding the lease checks every SMTP server, at most
 * `concurrency` at a time, renewing the lease as it goes; the others skip. Every instance
 * refreshes its view of the results, its metrics and the overview's deliverability findings.
 */
export class HealthMonitor {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private nextProbeAt = 0;
  private readonly lease: ProbeLease;

  constructor(
    private readonly config: ProbeConfig,
    private readonly deps: HealthMonitorDeps,
  ) {
    // Longer than one round's gap, so a live holder renews in time; a dead one is replaced soon.
    this.lease = new ProbeLease(deps.dataSource, Math.max(3 * config.intervalMs, 1_000));
  }

  start(): void {
    if (this.config.intervalMs <= 0 || this.timer) return;
    this.nextProbeAt = Date.now() + this.jittered();
    this.schedule();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running) await this.running;
    if (this.config.intervalMs > 0) await this.lease.release().catch(() => undefined);
  }

  /** One pass: refresh, and when due, probe (with the lease) and refresh the overview. */
  async tick(): Promise<void> {
    const due = Date.now() >= this.nextProbeAt;
    if (due) {
      this.nextProbeAt += this.jittered();
      if (this.nextProbeAt < Date.now()) this.nextProbeAt = Date.now() + this.jittered();
      if (await this.lease.acquire()) await this.probeAll();
    }
    await this.deps.store.refresh();
    const loaders = createLoaders(this.deps.dataSource, this.deps.snapshots?.current ?? null);
    const servers = await loaders.allServers();
    this.deps.store.retain(new Set(servers.map((s) => s.id)));
    this.deps.metrics.serverHealth(servers.map((s) => ({ server: s.name, up: this.upValue(s.id) })));
    if (due) {
      this.deps.metrics.librariesWithErrors(await this.deps.mailHealth.librariesWithErrors(loaders));
      void this.deps.mailHealth.refreshFindings(loaders).catch((error: Error) => this.warn('deliverability pass failed', error));
    }
  }

  private async probeAll(): Promise<void> {
    const servers = await this.deps.dataSource.getRepository(SmtpServer).find({ order: { id: 'ASC' } });
    const queue = [...servers];
    let holding = true;
    const worker = async () => {
      while (holding && queue.length > 0) {
        const server = queue.shift() as SmtpServer;
        const result = await this.deps.testMail.probe(server);
        this.deps.metrics.probeDuration(result.durationMs);
        await this.deps.store.record(server.id, result);
        holding = await this.lease.acquire();
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.config.concurrency, servers.length) }, worker));
  }

  private schedule(): void {
    const untilProbe = Math.max(0, this.nextProbeAt - Date.now());
    this.timer = setTimeout(
      () => {
        this.running = this.tick()
          .catch((error: Error) => this.warn('SMTP health pass failed', error))
          .finally(() => {
            this.running = null;
            if (this.timer) this.schedule();
          });
      },
      Math.min(untilProbe, MAX_REFRESH_MS),
    );
    this.timer.unref();
  }

  private upValue(serverId: number): number | null {
    const status = this.deps.store.status(serverId);
    return status === ServerHealthStatus.UNKNOWN ? null : status === ServerHealthStatus.UP ? 1 : 0;
  }

  private jittered(): number {
    return Math.round(this.config.intervalMs * (1 - JITTER + 2 * JITTER * Math.random()));
  }

  private warn(message: string, error: Error): void {
    this.deps.logger.log('warn', message, { error: error.message.split('\n')[0] });
  }
}
