import { ApiError, ErrorCode, ServiceUnavailableError } from '../common/errors';
import { Logger } from '../common/logger';
import { Department } from '../department/department.entity';
import { Library } from '../library/library.entity';
import type { Loaders } from '../loaders.type';
import { MailPurpose } from '../mail/mail.enums';
import { EffectiveMailConfig } from '../mail/mail-config.types';
import { Metrics } from '../observability/metrics';
import { ChangeFeed } from './change-feed';
import { fingerprintOf } from './fingerprint';
import { LatestValue } from './latest-value';

/** What a subscription watches: one effective configuration. */
export interface MailConfigTarget {
  libraryId: number;
  departmentId: number | null;
  purpose: MailPurpose;
}

/** One update of a subscription: the configuration with the reads it was resolved from, or why it ended. */
export type MailConfigEvent = { config: EffectiveMailConfig; loaders: Loaders } | { ended: ApiError };

type Resolve = (loaders: Loaders, library: Library, department: Department | null, purpose: MailPurpose) => Promise<EffectiveMailConfig>;

interface Resolution {
  /** Later resolutions have higher numbers; a subscriber never goes back to an older one. */
  seq: number;
  fingerprint: string;
  event: MailConfigEvent;
  last: boolean;
}

/**
 * Subscriptions one identity (token `sub`) may hold open at once, over all its connections: each
 * costs a few kilobytes, and one token could otherwise open connections until memory runs out.
 * The busiest real use (every department and purpose of a large system from one service
 * identity) is some thousands.
 */
export const MAX_SUBSCRIPTIONS_PER_IDENTITY = 10_000;

class Subscriber {
  seq = 0;
  fingerprint: string | null = null;
  readonly stream: LatestValue<MailConfigEvent>;

  constructor(
    readonly subject: string,
    onEnd: () => void,
  ) {
    this.stream = new LatestValue(onEnd);
  }

  /** True when the answer is new to this subscriber. */
  offer(resolution: Resolution): boolean {
    if (resolution.seq <= this.seq || resolution.fingerprint === this.fingerprint) return false;
    this.seq = resolution.seq;
    this.fingerprint = resolution.fingerprint;
    this.stream.offer(resolution.event, resolution.last);
    return true;
  }
}

interface Entry {
  key: string;
  target: MailConfigTarget;
  subscribers: Set<Subscriber>;
  /** The newest resolution started for this target and the state (feed token) it resolves. */
  latest: { token: string; resolution: Promise<Resolution | null> } | null;
}

function ended(seq: number, type: 'Library' | 'Department', id: number): Resolution {
  const error = new ApiError(ErrorCode.NOT_FOUND, `${type} ${id} was deleted; this subscription has ended`, { type, id: String(id) });
  return { seq, fingerprint: `ended:${type}:${id}`, event: { ended: error }, last: true };
}

/**
 * Fans effective configurations out to subscriptions. Subscriptions of one (library, department,
 * purpose) share one entry; on every change the hub resolves each entry once, whatever the number
 * of its subscribers, and hands the answer to those whose last answer differs (by fingerprint).
 * A burst of changes is coalesced into one pass, and a pass started while another runs waits for it.
 */
export class MailConfigHub {
  private readonly entries = new Map<string, Entry>();
  private readonly perSubject = new Map<string, number>();
  private seq = 0;
  private openCount = 0;
  private resolutionCount = 0;
  private scheduled = false;
  private passing = false;
  private passAgain = false;
  private closed = false;

  constructor(
    private readonly feed: ChangeFeed,
    private readonly resolveConfig: Resolve,
    private readonly health: (serverId: number) => string,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  /** Resolutions so far: one per entry per change, however many subscribe to it. */
  get resolutions(): number {
    return this.resolutionCount;
  }

  get open(): number {
    return this.openCount;
  }

  /** The current configuration at once, then every different one, until `return()` or the target is deleted. */
  subscribe(target: MailConfigTarget, subject: string): AsyncIterableIterator<MailConfigEvent> {
    if (this.closed) throw new ServiceUnavailableError('The gateway is shutting down; subscribe again on another instance or later.');
    const held = this.perSubject.get(subject) ?? 0;
    if (held >= MAX_SUBSCRIPTIONS_PER_IDENTITY) {
      throw new ApiError(ErrorCode.RATE_LIMITED, `At most ${MAX_SUBSCRIPTIONS_PER_IDENTITY} subscriptions may be open for one identity; end some first`);
    }
    this.perSubject.set(subject, held + 1);
    const key = `${target.libraryId}:${target.departmentId ?? '-'}:${target.purpose}`;
    const entry = this.entries.get(key) ?? { key, target, subscribers: new Set(), latest: null };
    this.entries.set(key, entry);
    const subscriber = new Subscriber(subject, () => this.leave(entry, subscriber));
    entry.subscribers.add(subscriber);
    this.openCount += 1;
    this.metrics.subscriptionsOpen(1);
    if (this.openCount === 1) this.feed.start(() => this.changed());
    const token = this.feed.token();
    if (entry.latest?.token !== token) this.startResolution(entry, token, this.feed.loaders());
    const first = (entry.latest as NonNullable<Entry['latest']>).resolution;
    void first.then((resolution) => {
      if (resolution) this.deliver(entry, resolution, [subscriber]);
      // The first answer could not be resolved (the database is down): say so instead of staying silent.
      else if (subscriber.fingerprint === null) subscriber.stream.offer({ ended: new ServiceUnavailableError() }, true);
    });
    return subscriber.stream;
  }

  /** Something may have changed: one pass soon, shared by everything that changed meanwhile. */
  changed(): void {
    if (this.scheduled || this.closed || this.openCount === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.pass();
    });
  }

  /** This instance committed a write. */
  committed(): void {
    if (this.openCount > 0) this.feed.committed();
  }

  /** Ends every subscription and stops watching. */
  close(): void {
    this.closed = true;
    for (const entry of this.entries.values()) for (const subscriber of entry.subscribers) void subscriber.stream.return();
    this.entries.clear();
    this.feed.stop();
  }

  private async pass(): Promise<void> {
    if (this.passing) {
      this.passAgain = true;
      return;
    }
    this.passing = true;
    try {
      do {
        this.passAgain = false;
        await this.resolveOutdated();
      } while (this.passAgain && !this.closed);
    } finally {
      this.passing = false;
    }
  }

  private async resolveOutdated(): Promise<void> {
    const token = this.feed.token();
    let loaders: Loaders | null = null;
    const work: Array<Promise<void>> = [];
    for (const entry of this.entries.values()) {
      if (entry.latest?.token === token) continue;
      loaders ??= this.feed.loaders();
      const resolution = this.startResolution(entry, token, loaders);
      work.push(resolution.then((r) => (r ? this.deliver(entry, r, [...entry.subscribers]) : undefined)));
    }
    await Promise.all(work);
  }

  private startResolution(entry: Entry, token: string, loaders: Loaders): Promise<Resolution | null> {
    const resolution = this.resolve(entry.target, loaders);
    entry.latest = { token, resolution };
    // A failure is not remembered: the next change or subscriber tries again.
    void resolution.then((r) => {
      if (r === null && entry.latest?.resolution === resolution) entry.latest = null;
    });
    return resolution;
  }

  private async resolve(target: MailConfigTarget, loaders: Loaders): Promise<Resolution | null> {
    const seq = ++this.seq;
    this.resolutionCount += 1;
    this.metrics.subscriptionResolved();
    try {
      const library = await loaders.libraryById.load(target.libraryId);
      if (!library) return ended(seq, 'Library', target.libraryId);
      const department = target.departmentId === null ? null : await loaders.departmentById.load(target.departmentId);
      if (target.departmentId !== null && department?.libraryId !== library.id) return ended(seq, 'Department', target.departmentId);
      const config = await this.resolveConfig(loaders, library, department, target.purpose);
      return { seq, fingerprint: fingerprintOf(config, this.health), event: { config, loaders }, last: false };
    } catch (error) {
      this.logger.log('warn', 'a subscribed configuration could not be resolved; retrying on the next change', {
        error: (error as Error).message.split('\n')[0],
      });
      return null;
    }
  }

  private deliver(entry: Entry, resolution: Resolution, subscribers: Subscriber[]): void {
    let sent = 0;
    for (const subscriber of subscribers) if (!subscriber.stream.ended && subscriber.offer(resolution)) sent += 1;
    if (sent > 0) this.metrics.subscriptionUpdates(sent);
  }

  private leave(entry: Entry, subscriber: Subscriber): void {
    if (!entry.subscribers.delete(subscriber)) return;
    const held = (this.perSubject.get(subscriber.subject) ?? 1) - 1;
    if (held > 0) this.perSubject.set(subscriber.subject, held);
    else this.perSubject.delete(subscriber.subject);
    this.openCount -= 1;
    this.metrics.subscriptionsOpen(-1);
    if (entry.subscribers.size === 0 && this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
    if (this.openCount === 0) this.feed.stop();
  }
}
