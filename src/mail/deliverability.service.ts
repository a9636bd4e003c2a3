import { DnsConfig } from '../config';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { checkDeliverability } from './deliverability/check-deliverability';
import { createDnsResolver } from './deliverability/dns-resolver';
import { DnsResolve } from './deliverability/dns-types';
import { DeliverabilityReport, SpfResult } from './deliverability.types';
import { ProblemSeverity } from './mail.enums';

/** D13: the SPF/DMARC advisor, with one DNS resolver (and its answer cache) for the process. */
export class DeliverabilityService {
  private readonly resolver: DnsResolve;

  constructor(dns: DnsConfig, private readonly now: () => Date = () => new Date()) {
    this.resolver = createDnsResolver({ servers: dns.servers, timeoutMs: dns.timeoutMs, cacheSeconds: dns.cacheSeconds });
  }

  async check(sender: string, servers: SmtpServer[]): Promise<DeliverabilityReport> {
    const report = await checkDeliverability(
      { sender, servers: servers.map((s) => ({ id: s.id, name: s.name, host: s.host, spfHint: s.spfHint })) },
      { resolver: this.resolver, now: this.now },
    );
    const byId = new Map(servers.map((s) => [s.id, s]));
    return {
      ...report,
      servers: report.servers.map((s) => ({ server: byId.get(s.serverId) as SmtpServer, addresses: s.addresses, result: s.result as SpfResult, explanation: s.explanation })),
      findings: report.findings.map((f) => ({ severity: f.severity as ProblemSeverity, code: f.code, message: f.message })),
    };
  }
}
