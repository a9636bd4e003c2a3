import type { GatewayError, GatewayErrorDetail } from '../errors';
import type { SubscriptionHandlers } from '../subscription';
import type { MailerConfiguration } from './mailer.types';

export interface ChainSourceOptions<TEvent> {
  /** Asks the gateway for the configuration (HTTP). */
  fetch(): Promise<MailerConfiguration>;
  /** Starts following the change stream; null when the mailer is not to follow it. */
  follow: ((handlers: SubscriptionHandlers<TEvent>) => { close(): void }) | null;
  /** The configuration in one change event (throws when the event carries a fatal error). */
  read(event: TEvent | null, errors: GatewayErrorDetail[]): MailerConfiguration;
  onChange?(config: MailerConfiguration): void;
  onFollowError?(error: GatewayError): void;
}

/**
 * Where a mailer gets its chain. While the change stream is connected and has delivered the
 * configuration, the kept one is used, so a change made through the API applies to the next mail
 * without a request per mail. Without the stream (not yet connected, reconnecting, refused, or a
 * gateway that does not offer it) every mail fetches the chain first, so mail never goes out on a
 * configuration that may be outdated.
 */
export class ChainSource<TEvent> {
  private current: MailerConfiguration | null = null;
  private connected = false;
  /** Counts connections, so that a fetch begun on an earlier one does not count for the current one. */
  private connection = 0;
  /** The kept configuration includes every change since the current connection was made. */
  private upToDate = false;
  private pending: Promise<MailerConfiguration> | null = null;
  private subscription: { close(): void } | null = null;
  /** The stream ended in a way a later successful request may cure (a refused token, a completion). */
  private resumable = false;
  private closed = false;

  constructor(private readonly options: ChainSourceOptions<TEvent>) {}

  start(): void {
    if (!this.options.follow || this.subscription || this.closed) return;
    this.subscription = this.options.follow({
      connected: () => {
        this.connected = true;
        this.connection += 1;
        this.upToDate = false;
      },
      disconnected: () => {
        this.connected = false;
        this.upToDate = false;
      },
      next: (event, errors) => {
        this.accept(this.options.read(event, errors));
        // The gateway sends the current configuration first, then each change.
        this.upToDate = this.connected;
      },
      end: (error) => {
        this.connected = false;
        this.upToDate = false;
        this.subscription = null;
        // A token refused twice may be the token service's passing trouble; FORBIDDEN or a
        // gateway without the stream would only be refused again.
        this.resumable = error === null || error.code === 'UNAUTHENTICATED';
        if (error) this.options.onFollowError?.(error);
      },
    });
  }

  /** True while mail is sent on the kept configuration (the change stream is live). */
  get following(): boolean {
    return this.connected && this.upToDate;
  }

  /** The configuration the next mail is sent with. */
  async get(): Promise<MailerConfiguration> {
    if (this.following && this.current) return this.current;
    this.pending ??= this.refresh().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  close(): void {
    this.closed = true;
    this.subscription?.close();
    this.subscription = null;
    this.connected = false;
  }

  private async refresh(): Promise<MailerConfiguration> {
    const connection = this.connected ? this.connection : null;
    this.accept(await this.options.fetch());
    // Fetched after the stream was connected: every later change arrives as an event.
    if (connection !== null && this.connected && this.connection === connection) this.upToDate = true;
    if (this.resumable) {
      // The gateway took this identity's token again: follow the changes again.
      this.resumable = false;
      this.start();
    }
    return this.current!;
  }

  /** Keeps the newer configuration: a late answer never replaces a newer event. */
  private accept(config: MailerConfiguration): void {
    const previous = this.current;
    if (previous && config.revision < previous.revision) return;
    this.current = config;
    if (previous && previous.revision !== config.revision) this.options.onChange?.(config);
  }
}
