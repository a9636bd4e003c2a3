import { BadInputError } from './errors';

/**
 * Validation of free text that ends up in mail headers or SMTP commands (D10): no CR, LF or NUL,
 * which would let a value inject headers or commands.
 */
const HEADER_UNSAFE = /[\r\n\0]/;

// Deliberately close to what SMTP servers accept in MAIL FROM/RCPT TO: a dot-atom local part and
// a domain of LDH labels with a TLD. Quoted local parts are refused although RFC 5322 allows them:
// `"security@bank.example>"@d1.amp.test` in a From header reads as another sender, and no
// library needs one. A dot-atom has no `<`, `>`, `"`, `,` or whitespace.
const LOCAL_DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export function isValidEmail(address: string): boolean {
  if (address.length > 254 || HEADER_UNSAFE.test(address)) return false;
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return false;
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length > 64) return false;
  if (!LOCAL_DOT_ATOM.test(local)) return false;
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  return labels.every((label) => DOMAIN_LABEL.test(label)) && !/^[0-9]+$/.test(labels[labels.length - 1]);
}

const HOST_LABEL = /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/;
const IPV6_LITERAL = /^\[?[0-9A-Fa-f:.]+\]?$/;

export function isValidHost(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  if (host.includes(':')) return IPV6_LITERAL.test(host);
  return host.split('.').every((label) => HOST_LABEL.test(label));
}

export interface TextRules {
  required?: boolean;
  maxLength: number;
}

/**
 * Trims and checks a text field; returns null for an empty optional value.
 * Throws BAD_USER_INPUT naming the field.
 */
export function cleanText(field: string, raw: string | null | undefined, rules: TextRules): string | null {
  if (raw === null || raw === undefined || raw.trim() === '') {
    if (rules.required) throw new BadInputError(field, `${field} must not be empty`);
    return null;
  }
  if (HEADER_UNSAFE.test(raw)) throw new BadInputError(field, `${field} must not contain line breaks or NUL characters`);
  const value = raw.trim();
  if (value.length > rules.maxLength) throw new BadInputError(field, `${field} must be at most ${rules.maxLength} characters long`);
  return value;
}

export function cleanEmail(field: string, raw: string | null | undefined, required = false): string | null {
  const value = cleanText(field, raw, { required, maxLength: 254 });
  if (value !== null && !isValidEmail(value))
    throw new BadInputError(field, `${field} is not a valid e-mail address (a plain local@domain.tld, without quotes, <, >, commas or spaces)`);
  return value;
}

export function cleanInt(field: string, value: number, min: number, max: number, what = 'a whole number'): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BadInputError(field, `${field} must be ${what} from ${min} to ${max}`);
  }
  return value;
}

/** Parses an ID argument; an ID that cannot exist is reported as not found by the caller. */
export function parseId(raw: string | number | null | undefined): number | null {
  if (raw === null || raw === undefined) return null;
  const text = String(raw).trim();
  if (!/^[1-9][0-9]{0,9}$/.test(text)) return null;
  const id = Number(text);
  return id <= 2147483647 ? id : null;
}
