import dns2 from 'dns2';

const { Packet } = dns2;

export interface AnsweringDns {
  /** 'ip:port' for dnsServerLookup / SMTP_DNS_SERVERS. */
  address: string;
  /** Every A question received, in order. */
  aQueries: string[];
  close(): Promise<void>;
}

/**
 * A real DNS server on loopback whose A answers come from `answer(name, n)` (n: how many A
 * questions for that name came before), always with TTL 0, so nothing may cache them.
 * AAAA questions get no records.
 */
export async function startAnsweringDns(answer: (name: string, n: number) => string[]): Promise<AnsweringDns> {
  const aQueries: string[] = [];
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const [question] = request.questions;
      const name = question.name.toLowerCase().replace(/\.$/, '');
      const response = Packet.createResponseFromRequest(request);
      if (question.type === Packet.TYPE.A) {
        const n = aQueries.filter((q) => q === name).length;
        aQueries.push(name);
        const records = answer(name, n).map((address) => ({ name: question.name, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 0, address }));
        response.answers.push(...(records as unknown as dns2.Packet.Resource[]));
      }
      void send(response);
    },
  });
  const addresses = await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
  return { address: `127.0.0.1:${addresses.udp!.port}`, aQueries, close: () => server.close() };
}

/** Answers 127.0.0.1 and 169.254.169.254 in turn: a rebinding attack on a name checked before connecting. */
export const REBINDING = (_name: string, n: number): string[] => [n % 2 === 0 ? '127.0.0.1' : '169.254.169.254'];
