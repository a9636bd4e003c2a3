import { checkDeliverability, createDnsResolver, DeliverabilityReport, ServerToCheck } from '../../../src/mail/deliverability';
import { TestDnsServer } from './dns-test-server';

export const CHECKED_AT = new Date('2025-03-01T10:00:00Z');

export function server(id: number, host: string, spfHint: string | null = null): ServerToCheck {
  return { id, name: `server ${id}`, host, spfHint };
}

/** A fresh resolver per check, so a zone edited by the test is read again rather than served from cache. */
export function check(dns: TestDnsServer, sender: string, servers: ServerToCheck[], timeoutMs = 300): Promise<DeliverabilityReport> {
  const resolver = createDnsResolver({ servers: [dns.address], timeoutMs });
  return checkDeliverability({ sender, servers }, { resolver, now: () => CHECKED_AT });
}

export const codes = (report: DeliverabilityReport): string[] => report.findings.map((f) => f.code);

export const finding = (report: DeliverabilityReport, code: string) => report.findings.find((f) => f.code === code);

export const results = (report: DeliverabilityReport): Record<number, string> => Object.fromEntries(report.servers.map((s) => [s.serverId, s.result]));
