import {
  createSourceEventStream,
  DocumentNode,
  execute,
  ExecutionArgs,
  ExecutionResult,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  GraphQLSchema,
  parse,
  validate,
} from 'graphql';
import type { Context, SubscribePayload } from 'graphql-ws';
import { GraphQLLimits } from '../config';
import type { GatewayContext } from '../context';
import type { Loaders } from '../loaders.type';
import { ByteLru } from '../performance/byte-lru';
import { estimatedDocumentBytes } from '../performance/document-store';
import { CostCheck } from '../security/query-cost.plugin';
import { checkQueryShape } from '../security/query-limits';

/** Subscriptions one connection may hold open at once. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 200;

/** A refusal of the request itself, with one of the codes Apollo uses for the same faults over HTTP. */
function requestError(code: string, message: string, from?: GraphQLError): GraphQLError {
  return new GraphQLError(message, { nodes: from?.nodes, source: from?.source, positions: from?.positions, extensions: { ...from?.extensions, code } });
}

const withCode = (code: string) => (error: GraphQLError) => requestError(code, error.message, error);

export interface OperationChecks {
  schema: GraphQLSchema;
  limits: GraphQLLimits;
  cost: CostCheck;
  /** Valid documents by their text: services subscribe with the same few texts, often thousands of times. */
  documents: ByteLru<DocumentNode>;
}

/** Estimated heap of the valid subscription documents kept parsed (a few hundred typical ones). */
export const SUBSCRIPTION_DOCUMENT_CACHE_BYTES = 2 * 2 ** 20;

/** The parsed, validated document of a text, or the errors that refuse it. */
function documentOf(checks: OperationChecks, query: string): DocumentNode | readonly GraphQLError[] {
  const known = checks.documents.get(query);
  if (known) return known;
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens: checks.limits.maxTokens });
  } catch (error) {
    return [requestError('GRAPHQL_PARSE_FAILED', (error as GraphQLError).message, error as GraphQLError)];
  }
  const invalid = validate(checks.schema, document);
  if (invalid.length > 0) return invalid.map(withCode('GRAPHQL_VALIDATION_FAILED'));
  checks.documents.set(query, document, query.length + estimatedDocumentBytes(document));
  return document;
}

/**
 * What HTTP requests go through before they run, for a subscribe message: the token limit of the
 * parser, validation, variables, the depth, alias and field limits and the cost estimate. Only
 * subscriptions are served here; queries and mutations keep to POST, where the response cache,
 * the size ceiling and the one-test-mail rule apply.
 */
export async function prepareOperation(
  checks: OperationChecks,
  ctx: Pick<Context, 'subscriptions'>,
  payload: SubscribePayload,
): Promise<ExecutionArgs | readonly GraphQLError[]> {
  const { schema, limits } = checks;
  if (Object.keys(ctx.subscriptions).length > MAX_SUBSCRIPTIONS_PER_CONNECTION) {
    return [requestError('BAD_REQUEST', `At most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions may be open on one connection`)];
  }
  const document = documentOf(checks, payload.query);
  if (!('kind' in document)) return document;
  const operation = getOperationAST(document, payload.operationName);
  if (!operation) return [requestError('OPERATION_RESOLUTION_FAILURE', 'The document must name the one operation to run')];
  if (operation.operation !== 'subscription') {
    return [requestError('BAD_REQUEST', 'Only subscriptions are served over WebSocket; send queries and mutations as POST /graphql')];
  }
  const variables = payload.variables ?? {};
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables, { maxErrors: 10 });
  if (coerced.errors) return coerced.errors.map(withCode('BAD_USER_INPUT'));
  try {
    checkQueryShape({ ...limits, introspection: false }, document, operation);
    await checks.cost(document, schema, variables, payload.operationName);
  } catch (error) {
    if (error instanceof GraphQLError) return [error];
    throw error;
  }
  return { schema, document, operationName: payload.operationName, variableValues: variables };
}

/** Maps a source stream without buffering; `return()` reaches the source at once, even while it waits. */
function mapStream<T, R>(source: AsyncIterator<T>, map: (value: T) => Promise<R>): AsyncIterableIterator<R> {
  return {
    async next() {
      const item = await source.next();
      return item.done ? { value: undefined, done: true } : { value: await map(item.value), done: false };
    },
    async return() {
      await source.return?.();
      return { value: undefined, done: true };
    },
    async throw(error?: unknown) {
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * graphql-js's subscribe, except that each event is executed with a context of its own: an event
 * carries the reads it was resolved from (one snapshot), so the fields under it answer from the
 * same state, and a DataLoader never outlives the event that filled it.
 */
export function subscribePerEvent(contextFor: (subscription: GatewayContext, eventLoaders: Loaders | undefined) => GatewayContext) {
  return async (args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const stream = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in stream)) return stream;
    const subscription = args.contextValue as GatewayContext;
    return mapStream(stream[Symbol.asyncIterator](), async (event: unknown) => {
      const loaders = typeof event === 'object' && event !== null && 'loaders' in event ? (event.loaders as Loaders) : undefined;
      return execute({ ...args, rootValue: event, contextValue: contextFor(subscription, loaders) });
    });
  };
}
