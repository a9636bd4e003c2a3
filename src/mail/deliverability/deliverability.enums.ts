import { registerEnumType } from 'type-graphql';

/** RFC 7208 results, the one vocabulary of the SPF evaluation and of the API. */
export enum SpfResult {
  PASS = 'PASS',
  FAIL = 'FAIL',
  SOFTFAIL = 'SOFTFAIL',
  NEUTRAL = 'NEUTRAL',
  NONE = 'NONE',
  TEMPERROR = 'TEMPERROR',
  PERMERROR = 'PERMERROR',
}

registerEnumType(SpfResult, { name: 'SpfResult', description: 'RFC 7208 results' });
