import { fieldOfCoercionError, scrubValues, stripSuggestions } from '../../src/security/scrub-values';

describe('D12: values are cut out of GraphQL coercion and validation messages', () => {
  const secret = 'S3cret-canary';
  it.each([
    [
      `Variable "$input" got invalid value ["${secret}"] at "input.password"; String cannot represent a non string value: ["${secret}"]`,
      'Variable "$input" got an invalid value at "input.password"; String cannot represent a non string value.',
      'password',
    ],
    [
      `Variable "$input" got invalid value { name: "${secret}", x: 1 }; Field "x" is not defined by type "SmtpServerInput".`,
      'Variable "$input" got an invalid value; Field "x" is not defined by type "SmtpServerInput".',
      'input',
    ],
    [`Int cannot represent non-integer value: "${secret}"`, 'Int cannot represent non-integer value.', null],
    [`Expected value of type "Int!", found "${secret}".`, 'Expected value of type "Int!", found an invalid value.', null],
    [`Variable "$id" got invalid value "${secret}"`, 'Variable "$id" got an invalid value.', 'id'],
    [
      `Variable "$p" got invalid value "${secret}"; Value "${secret}" does not exist in "MailPurpose" enum.`,
      'Variable "$p" got an invalid value; The value does not exist in "MailPurpose" enum.',
      'p',
    ],
    [`Value "${secret}" does not exist in "MailPurpose" enum.`, 'The value does not exist in "MailPurpose" enum.', null],
  ])('%s', (message, scrubbed, field) => {
    expect(scrubValues(message)).toBe(scrubbed);
    expect(scrubValues(message)).not.toContain(secret);
    expect(fieldOfCoercionError(message)).toBe(field);
  });
});

describe('D10: no "Did you mean" suggestions while introspection is off', () => {
  it.each([
    [
      'Variable "$input" got an invalid value; Field "passwrd" is not defined by type "SmtpServerUpdateInput". Did you mean "password"?',
      'Variable "$input" got an invalid value; Field "passwrd" is not defined by type "SmtpServerUpdateInput".',
    ],
    ['The value does not exist in "MailPurpose" enum. Did you mean the enum value "GENERAL"?', 'The value does not exist in "MailPurpose" enum.'],
    ['Cannot query field "smtpServerz" on type "Query". Did you mean "smtpServers" or "smtpServer"?', 'Cannot query field "smtpServerz" on type "Query".'],
    ['Field "x" is not defined. Did you mean "a"?; and more', 'Field "x" is not defined.; and more'],
    ['A message without a suggestion', 'A message without a suggestion'],
  ])('%s', (message, stripped) => {
    expect(stripSuggestions(message)).toBe(stripped);
  });
});
