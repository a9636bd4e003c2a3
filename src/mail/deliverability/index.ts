export { createDnsResolver } from './dns-resolver';
export type { DnsResolverOptions } from './dns-resolver';
export { withDnsCache } from './dns-cache';
export type { DnsCacheOptions } from './dns-cache';
export { DnsLookupError, isVoidDnsError } from './dns-errors';
export type { DnsAnswers, DnsMeter, DnsResolve, DnsRrType, MeteredDnsResolve, MxAnswer } from './dns-types';
export { DnsBudget, DnsLimitError, DnsRateLimiter, isDnsLimitError, meteredBy } from './dns-budget';
export { checkDeliverability } from './check-deliverability';
export type { DeliverabilityDeps } from './check-deliverability';
export { validateSpfHint } from './spf-hint';
export type { SpfHintValidation } from './spf-hint';
export type {
  DeliverabilityInput,
  DeliverabilityReport,
  Finding,
  FindingCode,
  FindingSeverity,
  ServerReport,
  ServerToCheck,
  SpfVerdict,
} from './report-types';
