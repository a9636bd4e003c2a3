/**
 * Formats a mailbox for the From header (RFC 5322 section 3.4). An ASCII display name becomes a
 * quoted string; a name with other characters (e.g. "Biblioteka Główna") becomes RFC 2047
 * encoded words, since raw UTF-8 in a header is not allowed without SMTPUTF8.
 */
export function formatMailbox(address: string, name: string | null): string {
  if (name === null || name.trim() === '') return address;
  return `${displayName(name.trim())} <${address}>`;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
// 75 characters per encoded word minus "=?UTF-8?B?" and "?=" leaves 63 base64 characters: 45 bytes.
const MAX_BYTES_PER_WORD = 45;

function displayName(name: string): string {
  if (PRINTABLE_ASCII.test(name)) return `"${name.replace(/(["\\])/g, '\\$1')}"`;
  return encodedWords(name);
}

function encodedWords(text: string): string {
  const words: string[] = [];
  let chunk = '';
  for (const char of text) {
    if (Buffer.byteLength(chunk + char) > MAX_BYTES_PER_WORD) {
      words.push(chunk);
      chunk = '';
    }
    chunk += char;
  }
  if (chunk) words.push(chunk);
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word).toString('base64')}?=`).join(' ');
}
