export class DnsLookupError extends Error {
  constructor(
    readonly code: string,
    readonly hostname: string,
    readonly rrtype: string,
    detail?: string,
  ) {
    super(`${rrtype} lookup of ${hostname} failed: ${detail ?? describeDnsCode(code)}`);
    this.name = 'DnsLookupError';
  }
}

export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** NXDOMAIN or an empty answer: a definite "no records", which SPF counts as a void lookup. */
export function isVoidDnsError(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'ENOTFOUND' || code === 'ENODATA';
}

export function describeDnsCode(code: string | undefined): string {
  switch (code) {
    case 'ENOTFOUND':
      return 'the name does not exist (NXDOMAIN)';
    case 'ENODATA':
      return 'no records of this type';
    case 'ETIMEOUT':
      return 'the DNS server did not answer in time';
    case 'EREFUSED':
      return 'the DNS server refused the query';
    case 'ESERVFAIL':
      return 'the DNS server reported a failure (SERVFAIL)';
    case 'ECONNREFUSED':
      return 'the DNS server could not be reached (connection refused)';
    default:
      return `DNS error ${code ?? 'unknown'}`;
  }
}

export function toDnsLookupError(err: unknown, hostname: string, rrtype: string): DnsLookupError {
  if (err instanceof DnsLookupError) return err;
  return new DnsLookupError(errorCode(err) ?? 'EUNKNOWN', hostname, rrtype);
}

/** Like describeDnsCode, but a lookup refused by a DNS limit says which limit and its size. */
export function describeDnsError(err: unknown): string {
  const reason = (err as { limitReason?: unknown } | null)?.limitReason;
  return typeof reason === 'string' ? reason : describeDnsCode(errorCode(err));
}
