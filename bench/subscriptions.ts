import { Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

/**
 * Scenario (s): 2,000 open subscriptions to effectiveMailConfigChanged, spread over 1,500
 * (library, department, purpose) keys (500 of them shared by two subscriptions), on 200 WebSocket
 * connections, while one write a second runs for about 20 s. Most writes change the timeout of a
 * server that is in many chains; every fourth renames a library nobody subscribes to, which must
 * deliver nothing. Expected updates are counted from the chains the subscribers were sent.
 */
const SUBSCRIPTIONS = 2_000;
const KEYS = 1_500;
const CONNECTIONS = 200;
const WRITES = 20;
const WRITE_EVERY_MS = 1_000;
/** Servers written in turn: heads, middles and tails of the dataset's chains of five. */
const WRITTEN_SERVERS = [5, 3, 12, 27, 48];

const DOCUMENT = `subscription Changed($l: ID!, $d: ID, $p: MailPurpose!) {
  effectiveMailConfigChanged(libraryId: $l, departmentId: $d, purpose: $p) { revision servers { id timeoutMs updatedAt } sender { address } problems { code } }
}`;
const SET_TIMEOUT = `mutation SetTimeout($id: ID!, $t: Int!) { updateSmtpServer(id: $id, input: { timeoutMs: $t }) { id updatedAt } }`;
const RENAME = `mutation Rename($id: ID!, $n: String!) { updateLibrary(id: $id, input: { name: $n }) { id } }`;

export interface SubscriptionBenchGateway {
  url: string;
  /** Resident memory of the gateway process in bytes. */
  rss(): Promise<number>;
  metric(name: string): Promise<number>;
  stop(): Promise<void>;
}

export interface SubscriptionBenchResult {
  subscriptions: number;
  keys: number;
  connections: number;
  writes: number;
  updatesExpected: number;
  updatesDelivered: number;
  updatesWithErrors: number;
  deliveryDelayP50Ms: number;
  deliveryDelayP99Ms: number;
  deliveryDelayMaxMs: number;
  /** Resolutions the gateway made during the writes, against keys x writes. */
  resolutionsDuringWrites: number;
  rssBeforeMiB: number;
  rssSubscribedMiB: number;
  rssAfterMiB: number;
}

interface Watched {
  chain: number[];
  initial: boolean;
}

interface Tally {
  delivered: number;
  withErrors: number;
  delays: number[];
}

function keyOf(k: number, libraries: number, departments: number): { l: string; d: string | null; p: string } {
  const library = ((k * 7) % libraries) + 1;
  const department = k % 3 === 1 ? String((library - 1) * departments + (k % departments) + 1) : null;
  return { l: String(library), d: department, p: k % 5 === 4 ? 'INTERLIBRARY_LOAN' : 'GENERAL' };
}

async function post(url: string, token: string, query: string, variables: Record<string, unknown>): Promise<any> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown };
  if (body.errors) throw new Error(`write failed: ${JSON.stringify(body.errors).slice(0, 300)}`);
  return body.data;
}

/** Opens every subscription and resolves once each has its first answer. */
function subscribeAll(clients: Client[], libraries: number, departments: number, watched: Watched[], tally: Tally): Promise<void> {
  let pending = SUBSCRIPTIONS;
  return new Promise((resolve, reject) => {
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      watched[i] = { chain: [], initial: true };
      clients[i % CONNECTIONS].subscribe<any>(
        { query: DOCUMENT, variables: keyOf(i % KEYS, libraries, departments) },
        {
          next: (result) => {
            const received = Date.now();
            if (result.errors || !result.data) {
              tally.withErrors += 1;
              return;
            }
            const servers: Array<{ id: string; updatedAt: string }> = result.data.effectiveMailConfigChanged.servers;
            watched[i].chain = servers.map((s) => Number(s.id));
            if (watched[i].initial) {
              watched[i].initial = false;
              if (--pending === 0) resolve();
              return;
            }
            tally.delivered += 1;
            // Only writes change these chains: the newest updatedAt in it is the write that caused this update.
            tally.delays.push(received - Math.max(...servers.map((s) => Date.parse(s.updatedAt))));
          },
          error: (error) => reject(new Error(`subscription ${i} failed: ${JSON.stringify(error).slice(0, 300)}`)),
          complete: () => undefined,
        },
      );
    }
  });
}

/** One write a second; returns how many updates they should cause (subscribers whose chain holds the server). */
async function writeEverySecond(url: string, token: string, watched: Watched[], unsubscribed: number): Promise<number> {
  let expected = 0;
  const started = Date.now();
  for (let w = 0; w < WRITES; w++) {
    const due = started + w * WRITE_EVERY_MS;
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
    if (w % 4 === 3) {
      await post(url, token, RENAME, { id: String(unsubscribed), n: `Renamed ${w}` });
      continue;
    }
    const server = WRITTEN_SERVERS[w % WRITTEN_SERVERS.length];
    expected += watched.filter((s) => s.chain.includes(server)).length;
    await post(url, token, SET_TIMEOUT, { id: String(server), t: 180_000 + 1_000 * (w + 1) });
  }
  return expected;
}

const percentile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
const mib = (bytes: number) => Math.round(bytes / 2 ** 20);

export async function subscriptionScenario(
  gateway: SubscriptionBenchGateway,
  tokens: { service: string; support: string },
  dataset: { libraries: number; departments: number },
): Promise<SubscriptionBenchResult> {
  const rssBefore = await gateway.rss();
  const clients = Array.from({ length: CONNECTIONS }, () =>
    createClient({
      url: `${gateway.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${tokens.service}` },
      retryAttempts: 0,
    }),
  );
  const watched: Watched[] = [];
  const tally: Tally = { delivered: 0, withErrors: 0, delays: [] };
  try {
    await subscribeAll(clients, dataset.libraries, dataset.departments, watched, tally);
    const rssSubscribed = await gateway.rss();
    const used = new Set(Array.from({ length: KEYS }, (_, k) => Number(keyOf(k, dataset.libraries, dataset.departments).l)));
    const unsubscribed = Array.from({ length: dataset.libraries }, (_, i) => i + 1).find((id) => !used.has(id)) ?? 1;
    const resolutionsBefore = await gateway.metric('mail_gateway_subscription_resolutions_total');
    const expected = await writeEverySecond(gateway.url, tokens.support, watched, unsubscribed);
    // The last write's updates are on their way; stragglers get two seconds.
    const settle = Date.now() + 2_000;
    while (tally.delivered < expected && Date.now() < settle) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    const resolutions = (await gateway.metric('mail_gateway_subscription_resolutions_total')) - resolutionsBefore;
    const delays = [...tally.delays].sort((a, b) => a - b);
    return {
      subscriptions: SUBSCRIPTIONS,
      keys: KEYS,
      connections: CONNECTIONS,
      writes: WRITES,
      updatesExpected: expected,
      updatesDelivered: tally.delivered,
      updatesWithErrors: tally.withErrors,
      deliveryDelayP50Ms: percentile(delays, 0.5),
      deliveryDelayP99Ms: percentile(delays, 0.99),
      deliveryDelayMaxMs: delays.length ? delays[delays.length - 1] : NaN,
      resolutionsDuringWrites: resolutions,
      rssBeforeMiB: mib(rssBefore),
      rssSubscribedMiB: mib(rssSubscribed),
      rssAfterMiB: mib(await gateway.rss()),
    };
  } finally {
    await Promise.all(clients.map((c) => c.dispose()));
  }
}

export function describeSubscriptionResult(r: SubscriptionBenchResult): string {
  return [
    `(s) ${r.subscriptions} subscriptions on ${r.connections} connections over ${r.keys} keys, ${r.writes} writes at one a second:`,
    `    updates delivered ${r.updatesDelivered} of ${r.updatesExpected} expected (${r.updatesWithErrors} with errors)`,
    `    delivery delay from the write's commit to receipt: p50 ${r.deliveryDelayP50Ms} ms, p99 ${r.deliveryDelayP99Ms} ms, max ${r.deliveryDelayMaxMs} ms`,
    `    resolutions during the writes: ${r.resolutionsDuringWrites} (keys x writes = ${r.keys * r.writes})`,
    `    gateway RSS: ${r.rssBeforeMiB} MiB before, ${r.rssSubscribedMiB} MiB with the subscriptions open, ${r.rssAfterMiB} MiB after the writes`,
  ].join('\n');
}
