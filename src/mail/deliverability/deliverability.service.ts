import { DnsConfig, DnsLimitsConfig } from '../../config';
import type { Identity } from '../../auth/identity';
import { SmtpServer } from '../../smtp-server/smtp-server.entity';
import { checkDeliverability } from './check-deliverability';
import { DeliverabilityReport, DkimKeyCheck, SpfServerCheck } from './deliverability.types';
import { DnsBudget, DnsRateLimiter, meteredBy } from './dns-budget';
import { createDnsResolver } from './dns-resolver';
import { MeteredDnsResolve } from './dns-types';
import { DkimReport, ServerReport } from './report-types';

/**
 * D13: the SPF/DMARC advisor, with one DNS resolver (its answer cache and its lookups in flight
 * shared by everyone) for the process, and the limits that keep one caller from turning it into
 * a DNS amplifier.
 */
export class DeliverabilityService {
  private readonly resolver: MeteredDnsResolve;
  private readonly rate: DnsRateLimiter;

  constructor(
    dns: DnsConfig,
    private readonly limits: DnsLimitsConfig,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.resolver = createDnsResolver({ servers: dns.servers, timeoutMs: dns.timeoutMs, cacheSeconds: dns.cacheSeconds });
    this.rate = new DnsRateLimiter(limits.lookupsPerMinute);
  }

  /** One per GraphQL request: every check of the request draws on it. */
  requestBudget(identity: Identity | null): DnsBudget {
    return new DnsBudget(this.limits.lookupsPerRequest, this.rate, identity?.sub ?? 'anonymous');
  }

  /** For the background pass of the network overview: its own identity in the per-minute limit. */
  backgroundBudget(): DnsBudget {
    return new DnsBudget(this.limits.lookupsPerRequest, this.rate, 'mail-health-pass');
  }

  async check(sender: string, servers: SmtpServer[], budget: DnsBudget): Promise<DeliverabilityReport> {
    const report = await checkDeliverability(
      { sender, servers: servers.map((s) => ({ id: s.id, name: s.name, host: s.host, spfHint: s.spfHint, dkimSelectors: s.dkimSelectors ?? [] })) },
      { resolver: meteredBy(this.resolver, budget), now: this.now, budget },
    );
    return { ...report, servers: withServers(report.servers, servers), dkim: withDkimServers(report.dkim, servers) };
  }
}

/** The core reports servers by id, each one it was given; the API shows the server itself. */
function withServers(reports: ServerReport[], servers: SmtpServer[]): SpfServerCheck[] {
  const byId = new Map(servers.map((s) => [s.id, s]));
  return reports.flatMap(({ serverId, addresses, result, explanation, reverseDns }) => {
    const server = byId.get(serverId);
    const reverse = reverseDns.map(({ address, ptr, forwardConfirmed }) => ({ address, ptr, forwardConfirmed }));
    return server ? [{ server, addresses, result, explanation, reverseDns: reverse }] : [];
  });
}

function withDkimServers(reports: DkimReport[], servers: SmtpServer[]): DkimKeyCheck[] {
  const byId = new Map(servers.map((s) => [s.id, s]));
  return reports.flatMap(({ serverId, selector, domain, record, keyType, keyBits, result }) => {
    const server = byId.get(serverId);
    return server ? [{ server, selector, domain, record, keyType, keyBits, result }] : [];
  });
}
