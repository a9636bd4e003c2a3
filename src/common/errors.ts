import { GraphQLError } from 'graphql';

/** The error vocabulary of the API (API.md, "Errors"). Every error a client sees has one of these codes. */
export enum ErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  NOT_FOUND = 'NOT_FOUND',
  CONFLICT = 'CONFLICT',
  IN_USE = 'IN_USE',
  RATE_LIMITED = 'RATE_LIMITED',
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
  QUERY_TOO_EXPENSIVE = 'QUERY_TOO_EXPENSIVE',
  RESPONSE_TOO_LARGE = 'RESPONSE_TOO_LARGE',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}

export interface Referrer {
  type: string;
  id: string;
  name: string;
}

export class ApiError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
  }
}

export class UnauthenticatedError extends ApiError {
  constructor(message = 'A valid bearer token is required') {
    super(ErrorCode.UNAUTHENTICATED, message);
  }
}

export class ForbiddenError extends ApiError {
  constructor(message = 'You are not allowed to do this') {
    super(ErrorCode.FORBIDDEN, message);
  }
}

export class BadInputError extends ApiError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(ErrorCode.BAD_USER_INPUT, message, { field });
  }
}

/** What an id of the API looks like: a positive integer within the database's INT range. */
const WELL_FORMED_ID = /^[1-9][0-9]{0,9}$/;

/**
 * An id is repeated back only when it is well formed: anything else is a value the client sent
 * that may be a secret put in the wrong place, or megabytes long. `wellFormed` lets a caller
 * whose ids are not numbers (a setting key) say what well formed means for them.
 */
export class NotFoundError extends ApiError {
  constructor(type: string, id: string | number, wellFormed = WELL_FORMED_ID.test(String(id)) && Number(id) <= 2147483647) {
    super(ErrorCode.NOT_FOUND, wellFormed ? `${type} ${id} does not exist` : `No ${type} has this id`, wellFormed ? { type, id: String(id) } : { type });
  }
}

export class ConflictError extends ApiError {
  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super(ErrorCode.CONFLICT, message, extensions);
  }
}

export class InUseError extends ApiError {
  constructor(what: string, usedBy: Referrer[]) {
    const names = usedBy
      .slice(0, 5)
      .map((r) => `${r.type} "${r.name}"`)
      .join(', ');
    const more = usedBy.length > 5 ? ` and ${usedBy.length - 5} more` : '';
    super(ErrorCode.IN_USE, `${what} is still used by ${names}${more}`, { usedBy });
  }
}

export function staleVersion(type: string, id: number, expected: number, actual: number): ConflictError {
  return new ConflictError(`${type} ${id} was changed by someone else (version ${actual}, you edited version ${expected}); reload and try again`, {
    expectedVersion: expected,
    actualVersion: actual,
  });
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_READONLY',
  'SQLITE_BUSY',
  'DATABASE_TIMEOUT',
  'COMMIT_OUTCOME_UNKNOWN',
]);

/** True for errors that mean the database cannot be reached, as opposed to a bug or bad data. */
export function isDatabaseUnavailable(error: unknown): boolean {
  // thrownValue: graphql-js wraps anything thrown that is not an Error of its own realm (NonErrorThrown).
  type Chain = { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown; thrownValue?: unknown };
  let current = error as Chain | null | undefined;
  for (let depth = 0; current && depth < 4; depth++) {
    if (typeof current.code === 'string' && UNAVAILABLE_CODES.has(current.code)) return true;
    if (
      typeof current.message === 'string' &&
      /connection is not established|pool is closed|Connection lost|connection is in closed state/i.test(current.message)
    )
      return true;
    current = (current.driverError ?? current.cause ?? current.thrownValue) as Chain | null | undefined;
  }
  return false;
}

export class ServiceUnavailableError extends ApiError {
  constructor(message = 'The configuration database cannot be reached right now; nothing was changed. Try again shortly.') {
    super(ErrorCode.SERVICE_UNAVAILABLE, message);
  }
}

/**
 * The database stopped answering after COMMIT was sent: the write may have been applied. The
 * client should read the entity again (by `extensions.id` when known) instead of assuming failure.
 */
export class WriteOutcomeUnknownError extends ApiError {
  constructor(id: string | null) {
    super(
      ErrorCode.SERVICE_UNAVAILABLE,
      'The configuration database stopped answering while the change was being committed; it may or may not have been saved. Read it again before retrying.',
      { outcome: 'UNKNOWN', ...(id === null ? {} : { id }) },
    );
  }
}
