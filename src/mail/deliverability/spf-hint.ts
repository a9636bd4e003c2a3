import { isIPv4, isIPv6 } from 'node:net';

export type SpfHintValidation = { ok: true; hint: string } | { ok: false; message: string };

const MACRO = /%\{[slodiphcrtv]\d*r?[.\-+,/_=]*\}|%[%_-]/gi;
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i;
const TOP_LABEL = /^(?=.*[a-z])[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * A server's SPF hint is pasted into the domain's record by the suggestion, so it must be exactly
 * one mechanism that authorises senders; anything else could rewrite the domain's policy.
 */
export function validateSpfHint(hint: string): SpfHintValidation {
  if (typeof hint !== 'string' || hint.length === 0) return fail('is empty; give one SPF mechanism such as include:clavius.cz');
  if (/[\r\n]/.test(hint)) return fail('must not contain line breaks');
  if (/\s/.test(hint)) return fail('must be a single SPF mechanism without spaces (e.g. include:clavius.cz)');
  if (hint.length > 255) return fail('is longer than 255 characters');
  if (/[^\x21-\x7e]/.test(hint)) return fail('may contain printable ASCII characters only (write international domain names in punycode)');
  if (/^v=spf1$/i.test(hint)) return fail('must be one mechanism, not a whole record: leave out "v=spf1"');
  if (/^[a-z][a-z0-9_.-]*=/i.test(hint)) return fail("is a modifier (name=value), not a mechanism; redirect= and exp= belong to the domain's own record");

  const body = /^[+\-~?]/.test(hint) ? hint.slice(1) : hint;
  const name = /^[a-z0-9]*/i.exec(body)![0].toLowerCase();
  const rest = body.slice(name.length);
  const problem = checkMechanism(name, rest);
  return problem ? fail(problem) : { ok: true, hint: hint[0] === '+' ? hint.slice(1) : hint };
}

function fail(reason: string): SpfHintValidation {
  return { ok: false, message: `SPF hint ${reason}` };
}

function checkMechanism(name: string, rest: string): string | null {
  switch (name) {
    case 'all':
      return '"all" cannot be a hint: it sets the policy for every sender and belongs only at the end of the domain\'s record';
    case 'ptr':
      return '"ptr" is not accepted: RFC 7208 §5.5 says it should not be used';
    case 'include':
    case 'exists':
      if (!rest.startsWith(':')) return `"${name}" needs a domain, e.g. ${name}:clavius.cz`;
      return checkDomainSpec(rest.slice(1));
    case 'a':
    case 'mx': {
      const match = /^(?::([^/]*))?(?:\/(\d+))?(?:\/\/(\d+))?$/.exec(rest);
      if (!match) return `"${name}" must look like ${name}, ${name}:example.cz, ${name}/24 or ${name}:example.cz/24//64`;
      if (match[1] !== undefined) {
        const problem = checkDomainSpec(match[1]);
        if (problem) return problem;
      }
      return checkPrefix(match[2], 32) ?? checkPrefix(match[3], 128);
    }
    case 'ip4': {
      const match = /^:([^/]+)(?:\/(\d+))?$/.exec(rest);
      if (!match || !isIPv4(match[1])) return '"ip4" needs an IPv4 address or range, e.g. ip4:192.0.2.10 or ip4:192.0.2.0/24';
      return checkPrefix(match[2], 32);
    }
    case 'ip6': {
      const match = /^:([^/]+)(?:\/(\d+))?$/.exec(rest);
      if (!match || !isIPv6(match[1])) return '"ip6" needs an IPv6 address or range, e.g. ip6:2001:db8::10 or ip6:2001:db8::/48';
      return checkPrefix(match[2], 128);
    }
    default:
      return 'is not an SPF mechanism; use one of include:, a, mx, ip4:, ip6:, exists:';
  }
}

function checkPrefix(prefix: string | undefined, max: number): string | null {
  if (prefix === undefined) return null;
  const bits = Number(prefix);
  if (!/^(0|[1-9]\d*)$/.test(prefix) || bits > max) return `prefix length must be between 0 and ${max}`;
  return null;
}

/** RFC 7208 domain-spec: labels, possibly with macros, ending in a real top label or a macro. */
function checkDomainSpec(spec: string): string | null {
  const plain = spec.replace(/\.$/, '');
  if (!plain) return 'needs a domain name';
  if (/%/.test(plain.replace(MACRO, ''))) return 'names a domain with an invalid macro';
  if (plain.length > 253) return 'names a domain longer than a domain name may be';
  // Masked first because a macro's own delimiters may include '.'
  const labels = plain.replace(MACRO, '\0').split('.');
  if (labels.length < 2) return 'names a domain that is not fully qualified';
  for (const [index, label] of labels.entries()) {
    const literal = label.replace(/\0/g, 'x');
    const isTop = index === labels.length - 1 && !label.includes('\0');
    if (!(isTop ? TOP_LABEL : LABEL).test(literal)) return 'names a domain that is not a valid domain name';
  }
  return null;
}
