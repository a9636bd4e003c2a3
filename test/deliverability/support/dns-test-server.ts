import dns2 from 'dns2';

const { Packet } = dns2;
// dns2's typings lack Packet.RCODE; values from RFC 1035 §4.1.1.
const RCODE = { SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

export interface ZoneEntry {
  /** One string per TXT record; longer than 255 characters is split like a real zone would. */
  TXT?: string[];
  A?: string[];
  AAAA?: string[];
  MX?: Array<{ exchange: string; priority: number }>;
  /** At a reverse name (4.3.2.1.in-addr.arpa); without one, see `startTestDnsServer`. */
  PTR?: string[];
}

/** A name may also misbehave: never answer, SERVFAIL or REFUSED. */
export type ZoneValue = ZoneEntry | 'silent' | 'servfail' | 'refused';
/** Keys are names; `*.suffix` answers every name below suffix that has no entry of its own. */
export type Zone = Record<string, ZoneValue>;

export interface TestDnsServer {
  /** 'host:port' for createDnsResolver({ servers }). */
  address: string;
  zone: Zone;
  /** While true the whole server swallows every query (it still records them); settable at any time. */
  silent: boolean;
  /** Every question received, as 'TYPE name'. */
  queries: string[];
  close(): Promise<void>;
}

const TYPE_NAMES: Record<number, string> = { 1: 'A', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA' };

/**
 * A real DNS server on 127.0.0.1 and an ephemeral UDP port, authoritative for `zone`: unknown names
 * are NXDOMAIN, known names without the asked type answer NOERROR with no records.
 * `silent: true` makes the whole server swallow every query.
 * A reverse name (in-addr.arpa, ip6.arpa) without an entry of its own answers with the names whose
 * A/AAAA records hold that address, as a provider's generated reverse zone would: forward-confirmed.
 */
export async function startTestDnsServer(zone: Zone, options: { silent?: boolean } = {}): Promise<TestDnsServer> {
  const state = { zone, queries: [] as string[], silent: options.silent ?? false };
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const [question] = request.questions;
      const name = question.name.toLowerCase().replace(/\.$/, '');
      const type = TYPE_NAMES[question.type] ?? String(question.type);
      state.queries.push(`${type} ${name}`);
      if (state.silent) return;
      const response = Packet.createResponseFromRequest(request);
      const entry = lookupName(state.zone, name) ?? generatedReverse(state.zone, name);
      if (entry === 'silent') return;
      if (entry === 'servfail' || entry === 'refused' || entry === undefined) {
        response.header.rcode = entry === 'servfail' ? RCODE.SERVFAIL : entry === 'refused' ? RCODE.REFUSED : RCODE.NXDOMAIN;
        void send(response);
        return;
      }
      response.answers.push(...answersFor(question.name, type, entry));
      void send(response);
    },
  });
  const addresses = await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
  return {
    address: `127.0.0.1:${addresses.udp!.port}`,
    get zone() {
      return state.zone;
    },
    set zone(next: Zone) {
      state.zone = next;
    },
    get silent() {
      return state.silent;
    },
    set silent(next: boolean) {
      state.silent = next;
    },
    queries: state.queries,
    close: () => server.close(),
  };
}

function lookupName(zone: Zone, name: string): ZoneValue | undefined {
  if (zone[name] !== undefined) return zone[name];
  const labels = name.split('.');
  for (let i = 1; i < labels.length; i++) {
    const wildcard = zone[`*.${labels.slice(i).join('.')}`];
    if (wildcard !== undefined) return wildcard;
  }
  return undefined;
}

// dns2's Resource typing demands fields of every record type at once.
function answersFor(name: string, type: string, entry: ZoneEntry): dns2.Packet.Resource[] {
  return resources(name, type, entry) as unknown as dns2.Packet.Resource[];
}

function resources(name: string, type: string, entry: ZoneEntry): object[] {
  const base = { name, class: Packet.CLASS.IN, ttl: 300 };
  switch (type) {
    case 'TXT':
      return (entry.TXT ?? []).map((text) => ({ ...base, type: Packet.TYPE.TXT, data: chunks(text) }));
    case 'A':
      return (entry.A ?? []).map((address) => ({ ...base, type: Packet.TYPE.A, address }));
    case 'AAAA':
      return (entry.AAAA ?? []).map((address) => ({ ...base, type: Packet.TYPE.AAAA, address }));
    case 'MX':
      return (entry.MX ?? []).map((mx) => ({ ...base, type: Packet.TYPE.MX, ...mx }));
    case 'PTR':
      return (entry.PTR ?? []).map((domain) => ({ ...base, type: Packet.TYPE.PTR, domain }));
    default:
      return [];
  }
}

function generatedReverse(zone: Zone, name: string): ZoneEntry | undefined {
  const address = addressOf(name);
  if (address === null) return undefined;
  const names = Object.entries(zone).flatMap(([owner, value]) =>
    typeof value === 'object' && !owner.startsWith('*') && [...(value.A ?? []), ...(value.AAAA ?? [])].some((a) => sameAddress(a, address)) ? [owner] : [],
  );
  return names.length > 0 ? { PTR: names } : undefined;
}

/** The address a reverse name stands for, in the form node's resolver prints (IPv6 compressed). */
function addressOf(name: string): string | null {
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa$/.exec(name);
  if (v4) return [v4[4], v4[3], v4[2], v4[1]].join('.');
  const v6 = /^((?:[0-9a-f]\.){32})ip6\.arpa$/.exec(name);
  if (!v6) return null;
  const nibbles = v6[1].split('.').filter(Boolean).reverse().join('');
  return nibbles.match(/.{4}/g)!.join(':');
}

function sameAddress(a: string, b: string): boolean {
  if (!a.includes(':') || !b.includes(':')) return a === b;
  return new URL(`http://[${a}]/`).hostname === new URL(`http://[${b}]/`).hostname;
}

function chunks(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += 255) out.push(text.slice(i, i + 255));
  return out.length > 0 ? out : [''];
}
