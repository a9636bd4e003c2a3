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

/** How a published DKIM key would fare with receivers; the gateway sees keys, never signatures. */
export enum DkimKeyResult {
  VALID = 'VALID',
  WEAK = 'WEAK',
  MISSING = 'MISSING',
  INVALID = 'INVALID',
  TEMPERROR = 'TEMPERROR',
}

registerEnumType(DkimKeyResult, {
  name: 'DkimKeyResult',
  description: 'VALID: a usable key; WEAK: RSA under 1024 bits; MISSING: no record; INVALID: no usable key; TEMPERROR: DNS trouble',
});
