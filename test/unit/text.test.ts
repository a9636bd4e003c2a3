import { NotFoundError } from '../../src/common/errors';
import { cleanEmail, isValidEmail } from '../../src/common/text';

describe('D10: e-mail addresses are plain local@domain', () => {
  it.each(['notices@library.example', 'first.last+ill@mail.library.example', "o'brien@library.example", 'a_b-c@x.cz'])('accepts %s', (address) => {
    expect(isValidEmail(address)).toBe(true);
  });

  it.each([
    '"security@bank.example>"@d1.amp.test',
    '"plain"@library.example',
    '"a\\"b"@library.example',
    'a<b@library.example',
    'a>b@library.example',
    'a,b@library.example',
    'a b@library.example',
    'Name <a@library.example>',
    'a@library.example,b@library.example',
    'a@library .example',
  ])('refuses %s', (address) => {
    expect(isValidEmail(address)).toBe(false);
  });

  it('the refusal names the field and the rule, not the address', () => {
    expect(() => cleanEmail('contactEmail', 'Tr0ub4dor&3')).toThrow(/^contactEmail is not a valid e-mail address/);
    try {
      cleanEmail('contactEmail', 'Tr0ub4dor&3');
    } catch (error) {
      expect(JSON.stringify(error)).not.toContain('Tr0ub4dor');
      expect((error as Error).message).not.toContain('Tr0ub4dor');
    }
  });
});

describe('D10: NOT_FOUND repeats an id only when it is well formed', () => {
  it('names a well-formed id in the message and in extensions', () => {
    const error = new NotFoundError('SmtpServer', '42');
    expect(error.message).toBe('SmtpServer 42 does not exist');
    expect(error.extensions).toMatchObject({ code: 'NOT_FOUND', type: 'SmtpServer', id: '42' });
  });

  it.each([
    ['a secret in the wrong place', 'hunter2-secret'],
    ['zero', '0'],
    ['a negative number', '-1'],
    ['a leading zero', '01'],
    ['a fraction', '1.5'],
    ['a space', ' 1'],
    ['beyond INT', '99999999999'],
    ['500,000 characters', 'x'.repeat(500_000)],
  ])('leaves out a malformed id: %s', (_label, id) => {
    const error = new NotFoundError('SmtpServer', id);
    expect(error.message).toBe('No SmtpServer has this id');
    expect(error.extensions).toEqual({ code: 'NOT_FOUND', type: 'SmtpServer' });
    expect(JSON.stringify({ message: error.message, extensions: error.extensions })).not.toContain(id.trim() || 'never');
  });
});
