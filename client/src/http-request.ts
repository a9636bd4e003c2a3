import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { getOperationAST, print, type DocumentNode } from 'graphql';
import { GatewayError, toErrorDetails, type GatewayErrorDetail } from './errors';
import type { TokenSource } from './token-source';

/** A GraphQL answer as it came: data (possibly partial) and the errors beside it. */
export interface OperationResult<TData> {
  data: TData | null;
  errors: GatewayErrorDetail[];
  status: number;
}

export interface HttpOptions {
  url: string;
  tokens: TokenSource;
  timeoutMs: number;
  headers: Readonly<Record<string, string>>;
}

const printed = new WeakMap<DocumentNode, { query: string; operationName: string | undefined }>();

/** The query text and operation name of a document, printed once. */
export function requestBody(document: DocumentNode): { query: string; operationName: string | undefined } {
  let body = printed.get(document);
  if (!body) {
    body = { query: print(document), operationName: getOperationAST(document)?.name?.value };
    printed.set(document, body);
  }
  return body;
}

/**
 * POSTs one operation. A 401 means the token was refused (expired, revoked, rotated key): the
 * provider is asked once more and the request sent again; a second 401 is UNAUTHENTICATED.
 * Throws only when there is no GraphQL answer to give.
 */
export async function postOperation<TData, TVariables>(
  options: HttpOptions,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
): Promise<OperationResult<TData>> {
  const body = JSON.stringify({ ...requestBody(document), variables });
  let response = await send(options, body, await options.tokens.current());
  if (response.status === 401) {
    await response.body?.cancel();
    response = await send(options, body, await options.tokens.refresh());
  }
  return readResult<TData>(response);
}

async function send(options: HttpOptions, body: string, token: string): Promise<Response> {
  try {
    return await fetch(options.url, {
      method: 'POST',
      headers: {
        ...options.headers,
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        authorization: `Bearer ${token}`,
      },
      body,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    throw GatewayError.local('NETWORK_ERROR', `The gateway could not be reached (${reason(error)})`, { cause: error });
  }
}

async function readResult<TData>(response: Response): Promise<OperationResult<TData>> {
  let parsed: unknown;
  try {
    parsed = await response.json();
  } catch (error) {
    throw GatewayError.local('BAD_RESPONSE', `The gateway answered HTTP ${response.status} without a GraphQL response`, {
      status: response.status,
      cause: error,
    });
  }
  const result = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { data?: unknown; errors?: unknown };
  const errors = toErrorDetails(result.errors);
  const data = typeof result.data === 'object' && result.data !== null ? (result.data as TData) : null;
  if (data === null && errors.length === 0) {
    throw GatewayError.local('BAD_RESPONSE', `The gateway answered HTTP ${response.status} without data or errors`, { status: response.status });
  }
  return { data, errors, status: response.status };
}

/** The answer's data when it has no error at all; otherwise the errors, typed. */
export function dataOrThrow<TData>(result: OperationResult<TData>): TData {
  if (result.errors.length > 0 || result.data === null) throw new GatewayError(result.errors, { status: result.status });
  return result.data;
}

function reason(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' ? cause.code : 'network error';
}
