export type DnsRrType = 'A' | 'AAAA' | 'TXT' | 'MX' | 'PTR' | 'CNAME' | 'NS';

export interface MxAnswer {
  exchange: string;
  priority: number;
}

/** Answer shapes match node:dns `resolve()`, which is what mailauth's `resolver` option expects. */
export interface DnsAnswers {
  A: string[];
  AAAA: string[];
  /** One entry per TXT record, each split into its character-strings (join them to read the record). */
  TXT: string[][];
  MX: MxAnswer[];
  PTR: string[];
  CNAME: string[];
  NS: string[];
}

/**
 * `(name, rrtype) => answers`, rejecting with an Error whose `code` is a node:dns code:
 * ENOTFOUND (NXDOMAIN) and ENODATA (no records of that type) mean "nothing there";
 * anything else (ETIMEOUT, EREFUSED, ESERVFAIL, ECONNREFUSED, ...) means the answer is unknown.
 */
export type DnsResolve = <T extends DnsRrType>(name: string, rrtype: T) => Promise<DnsAnswers[T]>;

export const SUPPORTED_RR_TYPES: readonly DnsRrType[] = ['A', 'AAAA', 'TXT', 'MX', 'PTR', 'CNAME', 'NS'];

/** Decides whether a query may go out; throws (a DnsLimitError) when it may not. */
export interface DnsMeter {
  spend(name: string, rrtype: string): void;
}

/** A shared resolver that charges `meter` for each query it actually sends. */
export type MeteredDnsResolve = <T extends DnsRrType>(name: string, rrtype: T, meter?: DnsMeter) => Promise<DnsAnswers[T]>;
