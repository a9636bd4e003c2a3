import { fieldOfCoercionError, scrubValues } from '../../src/security/scrub-values';

describe('D12: values are cut out of GraphQL coercion and validation messages', () => {
  const secret = 'S3cret-canary';
  it.each([
    [`Variable "$input" got invalid value ["${secret}"] at "input.password"; String cannot represent a non string value: ["${secret}"]`, 'Variable "$input" got an invalid value at "input.password"; String cannot represent a non string value.', 'password'],
    [`Variable "$input" got invalid value { name: "${secret}", x: 1 }; Field "x" is not defined by type "SmtpServerInput".`, 'Variable "$input" got an invalid value; Field "x" is not defined by type "SmtpServerInput".', 'input'],
    [`Int cannot represent non-integer value: "${secret}"`, 'Int cannot represent non-integer value.', null],
    [`Expected value of type "Int!", found "${secret}".`, 'Expected value of type "Int!", found an invalid value.', null],
    [`Variable "$id" got invalid value "${secret}"`, 'Variable "$id" got an invalid value.', 'id'],
  ])('%s', (message, scrubbed, field) => {
    expect(scrubValues(message)).toBe(scrubbed);
    expect(scrubValues(message)).not.toContain(secret);
    expect(fieldOfCoercionError(message)).toBe(field);
  });
});
