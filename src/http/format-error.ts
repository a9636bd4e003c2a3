import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { ApiError, ErrorCode, isDatabaseUnavailable, ServiceUnavailableError } from '../common/errors';
import { Logger } from '../common/logger';
import { persistedQueryRefusal } from '../performance/persisted-queries';
import { fieldOfCoercionError, scrubValues, stripSuggestions } from '../security/scrub-values';

/** Codes Apollo itself sets for malformed requests; they are the client's fault and safe to show. */
const APOLLO_REQUEST_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * Keeps our own error codes and Apollo's request errors; anything else is an unexpected
 * failure, logged here and shown to the client only as a generic INTERNAL_SERVER_ERROR.
 */
export function formatError(logger: Logger, hideSuggestions = false) {
  const shown = (formatted: GraphQLFormattedError): GraphQLFormattedError =>
    hideSuggestions ? { ...formatted, message: stripSuggestions(formatted.message) } : formatted;
  return (raw: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const formatted = shown(raw);
    const original = unwrapResolverError(error);
    const code = formatted.extensions?.code;
    if (original instanceof ApiError) return formatted;
    if (isDatabaseUnavailable(original)) {
      const unavailable = new ServiceUnavailableError();
      return { message: unavailable.message, path: formatted.path, extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } };
    }
    const refusal = persistedQueryRefusal(original);
    if (refusal) return { message: refusal.message, extensions: { code: ApolloServerErrorCode.BAD_REQUEST, field: refusal.field } };
    if (original instanceof GraphQLError && typeof code === 'string' && APOLLO_REQUEST_CODES.has(code)) {
      const message = scrubValues(formatted.message);
      const field = code === ErrorCode.BAD_USER_INPUT ? fieldOfCoercionError(formatted.message) : null;
      return { ...formatted, message, extensions: { ...formatted.extensions, ...(field ? { field } : {}) } };
    }
    logger.log('error', 'unexpected error', {
      error: original instanceof Error ? original.message : formatted.message,
      stack: original instanceof Error ? original.stack : undefined,
      path: formatted.path,
    });
    return { message: 'Internal server error', path: formatted.path, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  };
}
