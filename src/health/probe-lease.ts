import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';

/**
 * One row in the database names the instance that probes and until when. Taking or renewing it is
 * one conditional UPDATE (free, expired, or already ours), so of several instances exactly one
 * holds it; the others skip their round. A holder that dies is replaced once its lease expires.
 */
export class ProbeLease {
  readonly holder = randomUUID();

  constructor(
    private readonly dataSource: DataSource,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async acquire(): Promise<boolean> {
    const now = this.now();
    const runner = this.dataSource.createQueryRunner();
    try {
      const result = await runner.query(
        "UPDATE probe_lease SET holder = ?, expires_at = ? WHERE name = 'smtp_probe' AND (holder = ? OR holder IS NULL OR expires_at < ?)",
        [this.holder, now + this.ttlMs, this.holder, now],
        true,
      );
      return (result.affected ?? 0) > 0;
    } finally {
      await runner.release();
    }
  }

  /** Hands the lease back at shutdown, so another instance takes over at once. */
  async release(): Promise<void> {
    await this.dataSource.query("UPDATE probe_lease SET holder = NULL, expires_at = 0 WHERE name = 'smtp_probe' AND holder = ?", [this.holder]);
  }
}
