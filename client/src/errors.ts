import type { DeliveryAttempt } from './mailer/mailer.types';

/**
 * `extensions.code` values the gateway answers with, plus the client's own for failures that
 * never reached a GraphQL answer. Other codes may appear as the gateway grows.
 */
export type GatewayErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'IN_USE'
  | 'RATE_LIMITED'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR'
  | 'GRAPHQL_VALIDATION_FAILED'
  /** The gateway could not be reached, or the request timed out. */
  | 'NETWORK_ERROR'
  /** The gateway answered something that is not a GraphQL response. */
  | 'BAD_RESPONSE'
  /** getToken() failed or gave no token. */
  | 'TOKEN_UNAVAILABLE'
  | (string & {});

/** One GraphQL error as the gateway reported it. */
export interface GatewayErrorDetail {
  message: string;
  code: GatewayErrorCode;
  path: ReadonlyArray<string | number> | null;
  extensions: Readonly<Record<string, unknown>>;
}

/**
 * A request to the gateway that did not give a usable answer. `code` and `path` are those of the
 * first error; `errors` holds all of them.
 */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly code: GatewayErrorCode;
  readonly path: ReadonlyArray<string | number> | null;
  readonly errors: readonly GatewayErrorDetail[];
  /** HTTP status of the answer, null for a subscription or when there was no answer. */
  readonly status: number | null;

  constructor(errors: readonly GatewayErrorDetail[], options: { status?: number | null; cause?: unknown } = {}) {
    const first = errors[0] ?? { message: 'Unknown gateway error', code: 'BAD_RESPONSE', path: null, extensions: {} };
    super(describe(first, errors.length), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = first.code;
    this.path = first.path;
    this.errors = errors.length > 0 ? errors : [first];
    this.status = options.status ?? null;
  }

  /** An error of the client's own (no GraphQL answer), e.g. NETWORK_ERROR. */
  static local(code: GatewayErrorCode, message: string, options: { status?: number | null; cause?: unknown } = {}): GatewayError {
    return new GatewayError([{ message, code, path: null, extensions: { code } }], options);
  }
}

function describe(first: GatewayErrorDetail, count: number): string {
  const where = first.path && first.path.length > 0 ? ` at ${first.path.join('.')}` : '';
  const more = count > 1 ? ` (and ${count - 1} more error${count > 2 ? 's' : ''})` : '';
  return `${first.code}${where}: ${first.message}${more}`;
}

/** Reads the `errors` member of a GraphQL response; anything malformed still becomes a detail. */
export function toErrorDetails(errors: unknown): GatewayErrorDetail[] {
  if (!Array.isArray(errors)) return [];
  return errors.map((entry: unknown) => {
    const error = (typeof entry === 'object' && entry !== null ? entry : {}) as { message?: unknown; path?: unknown; extensions?: unknown };
    const extensions = (typeof error.extensions === 'object' && error.extensions !== null ? error.extensions : {}) as Record<string, unknown>;
    return {
      message: typeof error.message === 'string' ? error.message : 'Unknown error',
      code: typeof extensions.code === 'string' ? extensions.code : 'INTERNAL_SERVER_ERROR',
      path: Array.isArray(error.path) ? (error.path as Array<string | number>) : null,
      extensions,
    };
  });
}

/** The effective configuration cannot be used to send: no server, or no sender and none in the message. */
export class MailConfigurationError extends Error {
  override readonly name = 'MailConfigurationError';

  constructor(
    readonly code: 'NO_SMTP_SERVER' | 'NO_SENDER',
    message: string,
    readonly problems: ReadonlyArray<{ code: string; severity: string; message: string }>,
  ) {
    super(message);
  }
}

/**
 * The message was not delivered. ALL_FAILED: every server failed in a way that allowed trying the
 * next one; REJECTED: a server refused the sender, a recipient or the message permanently (5xx),
 * so no further server was tried (D11); OUTCOME_UNKNOWN: a server took the message but gave no
 * verdict, so it was not sent again (it may have been delivered).
 */
export class MailDeliveryError extends Error {
  override readonly name = 'MailDeliveryError';

  constructor(
    readonly reason: 'ALL_FAILED' | 'REJECTED' | 'OUTCOME_UNKNOWN',
    readonly attempts: readonly DeliveryAttempt[],
  ) {
    super(`${REASONS[reason]}: ${attempts.map(describeAttempt).join('; ')}`);
  }
}

const REASONS: Record<MailDeliveryError['reason'], string> = {
  ALL_FAILED: 'No SMTP server of the chain accepted the message',
  REJECTED: 'The message was rejected permanently; no further server was tried',
  OUTCOME_UNKNOWN: 'A server took the message without confirming it; it was not sent again',
};

function describeAttempt(attempt: DeliveryAttempt): string {
  const reply = attempt.responseCode === null ? '' : ` ${attempt.responseCode}`;
  return `"${attempt.server.name}" (${attempt.server.host}:${attempt.server.port}) ${attempt.errorCode ?? 'OK'}${reply}: ${attempt.message ?? 'delivered'}`;
}
