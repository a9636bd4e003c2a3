import { formatMailbox } from '../../src/mail/format-sender';

const ENCODED_WORD = /^=\?UTF-8\?B\?([A-Za-z0-9+/]*={0,2})\?=$/;

function encodedWords(formatted: string, address: string): string[] {
  const suffix = ` <${address}>`;
  expect(formatted.endsWith(suffix)).toBe(true);
  return formatted.slice(0, -suffix.length).split(' ');
}

function decodeWord(word: string): Buffer {
  const match = ENCODED_WORD.exec(word);
  if (!match) throw new Error(`not an RFC 2047 B encoded word: ${word}`);
  return Buffer.from(match[1], 'base64');
}

describe('formatMailbox', () => {
  test.each([
    ['D6/R10: an ASCII short name is a quoted display name', 'knihovna@xyz.cz', 'KNIH-XYZ', '"KNIH-XYZ" <knihovna@xyz.cz>'],
    ['D6: no name gives the bare address', 'knihovna@xyz.cz', null, 'knihovna@xyz.cz'],
    ['D6: a blank name gives the bare address', 'knihovna@xyz.cz', '   ', 'knihovna@xyz.cz'],
    ['D6: the name is trimmed', 'a@b.cz', '  KNIH  ', '"KNIH" <a@b.cz>'],
    ['D6: a comma stays inside the quoted string', 'a@b.cz', 'Library, North', '"Library, North" <a@b.cz>'],
    ['D6: a double quote is escaped', 'a@b.cz', 'The "North" Library', '"The \\"North\\" Library" <a@b.cz>'],
    ['D6: a backslash is escaped', 'a@b.cz', 'A\\B', '"A\\\\B" <a@b.cz>'],
    ['D6: comma, quote and backslash together', 'a@b.cz', 'X, "Y" \\ Z', '"X, \\"Y\\" \\\\ Z" <a@b.cz>'],
  ])('%s', (_title, address, name, expected) => {
    expect(formatMailbox(address, name)).toBe(expected);
  });

  test('D6: a non-ASCII name is an RFC 2047 UTF-8 B encoded word that decodes back', () => {
    const formatted = formatMailbox('bg@example.pl', 'Biblioteka Główna');
    expect(formatted).not.toContain('Główna');
    const words = encodedWords(formatted, 'bg@example.pl');
    expect(Buffer.concat(words.map(decodeWord)).toString('utf8')).toBe('Biblioteka Główna');
  });

  test.each([
    ['a long Polish name', 'Wojewódzka i Miejska Biblioteka Publiczna im. Żółkiewskiego w Gdańsku — Filia nr 12 Łódź, Świętokrzyska'],
    ['a name with characters outside the BMP', `Książki ${'📚'.repeat(30)} Główna`],
  ])('D6: %s is split into encoded words of at most 75 characters, each of whole characters', (_title, name) => {
    const formatted = formatMailbox('wbp@example.pl', name);
    const words = encodedWords(formatted, 'wbp@example.pl');
    expect(words.length).toBeGreaterThan(1);
    for (const word of words) {
      expect(word.length).toBeLessThanOrEqual(75);
      const bytes = decodeWord(word);
      expect(Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes)).toBe(true);
    }
    expect(words.map((w) => decodeWord(w).toString('utf8')).join('')).toBe(name);
  });

  test('D6: a name with a control character is not put raw into the header', () => {
    const formatted = formatMailbox('a@b.cz', 'A\tB');
    expect(formatted).not.toContain('\t');
    expect(Buffer.concat(encodedWords(formatted, 'a@b.cz').map(decodeWord)).toString('utf8')).toBe('A\tB');
  });
});
