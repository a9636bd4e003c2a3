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
  /** The largest answer read; a larger one is refused while it streams in. */
  maxResponseBytes: number;
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
  return readResult<TData>(response, options.maxResponseBytes);
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

/**
 * The body as text, refused once it is larger than `maxBytes` (never held whole). The request's
 * timeout covers the body too: one that stops arriving is a NETWORK_ERROR.
 */
async function readText(response: Response, maxBytes: number): Promise<string> {
  const tooLarge = () => GatewayError.local('BAD_RESPONSE', `The gateway's answer is larger than ${maxBytes} bytes`, { status: response.status });
  if (Number(response.headers.get('content-length')) > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      bytes += chunk.value.byteLength;
      if (bytes > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(chunk.value);
    }
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    throw GatewayError.local('NETWORK_ERROR', `The gateway's answer did not arrive whole (${reason(error)})`, { status: response.status, cause: error });
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readResult<TData>(response: Response, maxBytes: number): Promise<OperationResult<TData>> {
  const text = await readText(response, maxBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not the parser's message as cause: it quotes the body around the fault, and a body may hold passwords.
    throw GatewayError.local('BAD_RESPONSE', `The gateway answered HTTP ${response.status} without a GraphQL response`, { status: response.status });
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
  // AbortSignal.timeout() rejects with a DOMException, which is no Error in Node 20.
  if (typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'TimeoutError') return 'timed out';
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' ? cause.code : 'network error';
}
