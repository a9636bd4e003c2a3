import { GraphQLResponse } from './gateway';

export interface ExpectedError {
  /** The input field the error must name (`extensions.field`, D10). */
  field?: string;
  /**
   * The request must have produced no data: `data` is null, or, for UNAUTHENTICATED, the request
   * was refused with 401 before it was executed.
   */
  noData?: boolean;
}

/** Checks the first error of a response and returns its extensions for further checks. */
export function expectError(result: GraphQLResponse, code: string, expected: ExpectedError = {}): Record<string, any> {
  expect(result.errors).toBeDefined();
  const error = result.errors![0];
  expect(error.extensions?.code).toBe(code);
  if (expected.field !== undefined) expect(error.extensions?.field).toBe(expected.field);
  if (expected.noData) {
    if (code === 'UNAUTHENTICATED') expect(result.status).toBe(401);
    else expect(result.data).toBeNull();
  }
  return error.extensions ?? {};
}
