import type { GatewayError } from './errors';
import {
  EffectiveMailConfigChangedDocument,
  EffectiveMailConfigDocument,
  MailerConfigChangedDocument,
  MailerConfigDocument,
  type EffectiveMailConfigFieldsFragment,
  type MailerConfigChangedSubscription,
  type MailPurpose,
} from './generated/graphql';
import { dataOrThrow, postOperation, type HttpOptions } from './http-request';
import { ChainSource } from './mailer/chain-source';
import { createMailerOn, type Mailer } from './mailer/mailer';
import { toMailerConfiguration } from './mailer/mailer-configuration';
import type { MailerConfiguration } from './mailer/mailer.types';
import { followSubscription, type ReconnectOptions, type SubscriptionOptions } from './subscription';
import { TokenSource } from './token-source';
import { watchSubscription, type Watch } from './watch';

export type EffectiveMailConfig = EffectiveMailConfigFieldsFragment;

export interface GatewayClientOptions {
  /** The GraphQL endpoint, e.g. https://mail-gateway.example.org/graphql. */
  url: string;
  /** Gives a valid bearer token (JWT); called again near its `exp`, after a 401 and on each reconnect. */
  getToken(): Promise<string>;
  /** The subscription endpoint; by default `url` with ws: or wss:. */
  wsUrl?: string;
  /** How long before `exp` a token is replaced (default 60 000). */
  tokenRefreshMarginMs?: number;
  /** Bound of one HTTP request (default 30 000). */
  requestTimeoutMs?: number;
  /** Backoff of subscription reconnects (default 500 ms doubling up to 30 s). */
  reconnect?: Partial<ReconnectOptions>;
  /** Ping interval of the subscription connection (default 30 000); a ping unanswered as long drops the connection. */
  keepAliveMs?: number;
  /** Extra HTTP headers, e.g. x-request-id. */
  headers?: Record<string, string>;
  /** The largest HTTP answer or subscription message taken from the gateway (default 16 MiB). */
  maxResponseBytes?: number;
}

/** An effective configuration is a few kilobytes; this leaves room for thousands of servers. */
const DEFAULT_MAX_RESPONSE_BYTES = 16 * 2 ** 20;

/** Whose configuration: a library, optionally one of its departments, and a purpose (default GENERAL). */
export interface MailTarget {
  libraryId: string | number;
  departmentId?: string | number | null;
  purpose?: MailPurpose;
}

export interface MailerOptions extends MailTarget {
  /** Follow the change stream (default true); false fetches the chain before every mail. */
  follow?: boolean;
  /** Called when a new revision of the configuration is taken. */
  onChange?(config: MailerConfiguration): void;
  /** Called when the change stream ends for good (e.g. 4403); the mailer then fetches per mail. */
  onFollowError?(error: GatewayError): void;
}

export interface GatewayClient {
  /** The effective configuration; GraphQL errors are thrown as GatewayError with their code. */
  effectiveMailConfig(target: MailTarget): Promise<EffectiveMailConfig>;
  /** The current configuration, then each change, until closed (reconnects by itself). */
  watchEffectiveMailConfig(target: MailTarget): Watch<EffectiveMailConfig>;
  /** Sends mail through the target's chain with failover; needs the mail:credentials scope. */
  createMailer(options: MailerOptions): Mailer;
}

export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const tokens = new TokenSource(options.getToken, options.tokenRefreshMarginMs ?? 60_000);
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const http: HttpOptions = { url: options.url, tokens, timeoutMs: options.requestTimeoutMs ?? 30_000, headers: options.headers ?? {}, maxResponseBytes };
  const ws: SubscriptionOptions = {
    wsUrl: options.wsUrl ?? webSocketUrl(options.url),
    tokens,
    reconnect: { initialDelayMs: 500, maxDelayMs: 30_000, ...options.reconnect },
    keepAliveMs: options.keepAliveMs ?? 30_000,
    maxMessageBytes: maxResponseBytes,
  };

  return {
    async effectiveMailConfig(target) {
      return dataOrThrow(await postOperation(http, EffectiveMailConfigDocument, variablesOf(target))).effectiveMailConfig;
    },
    watchEffectiveMailConfig(target) {
      return watchSubscription(ws, EffectiveMailConfigChangedDocument, variablesOf(target), (data, errors) => {
        return dataOrThrow({ data, errors, status: 200 }).effectiveMailConfigChanged;
      });
    },
    createMailer(mailer) {
      const variables = variablesOf(mailer);
      const source = new ChainSource<MailerConfigChangedSubscription>({
        fetch: async () => {
          const result = await postOperation(http, MailerConfigDocument, variables);
          return toMailerConfiguration(result.data?.effectiveMailConfig, result.errors, result.status);
        },
        follow: mailer.follow === false ? null : (handlers) => followSubscription(ws, MailerConfigChangedDocument, variables, handlers),
        read: (event, errors) => toMailerConfiguration(event?.effectiveMailConfigChanged, errors),
        onChange: mailer.onChange,
        onFollowError: mailer.onFollowError,
      });
      return createMailerOn(source);
    },
  };
}

function variablesOf(target: MailTarget): { libraryId: string; departmentId: string | null; purpose: MailPurpose } {
  return {
    libraryId: String(target.libraryId),
    departmentId: target.departmentId == null ? null : String(target.departmentId),
    purpose: target.purpose ?? 'GENERAL',
  };
}

/** http://host/graphql -> ws://host/graphql, https -> wss. */
export function webSocketUrl(url: string): string {
  const parsed = new URL(url);
  parsed.protocol = parsed.protocol === 'https:' ? 'wss:' : 'ws:';
  return parsed.toString();
}
