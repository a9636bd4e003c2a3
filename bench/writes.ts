import { performance } from 'node:perf_hooks';

/** What the write scenario borrows from the bench runner. */
export interface WriteBenchDeps {
  startGateway(databasePath: string, env?: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }>;
  post(url: string, token: string, body: string): Promise<{ text: string }>;
  log(message: string): void;
  /** CONFIG_REFRESH_MS of the gateways started. */
  refreshMs: number;
}

export interface WriteBenchResult {
  large: { p50Ms: number; p99Ms: number };
  small: { p50Ms: number; p99Ms: number };
  ratio: number;
  propagation: { p50Ms: number; maxMs: number; samples: number };
}

const UPDATE = 'mutation Write($id: ID!, $email: String) { updateDepartment(id: $id, input: { email: $email }) { id version } }';
const READ = 'query Read($id: ID!) { department(id: $id) { email } }';
const ROUNDS = 7;
const WRITES_PER_ROUND = 40;

const quantile = (samples: number[], q: number) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 100) / 100;
};
const median = (values: number[]) => quantile(values, 0.5);

async function timedWrites(deps: WriteBenchDeps, url: string, token: string, departments: number, round: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < WRITES_PER_ROUND; i++) {
    const id = String(1 + (((round * WRITES_PER_ROUND + i) * 7919) % departments));
    const body = JSON.stringify({ query: UPDATE, variables: { id, email: `w${round}-${i}@bench.example.org` } });
    const started = performance.now();
    await deps.post(url, token, body);
    samples.push(performance.now() - started);
  }
  return samples;
}

/** Commit through one instance, then how long until the other answers with the change. */
async function propagation(deps: WriteBenchDeps, writer: string, reader: string, token: string, departments: number) {
  const delays: number[] = [];
  for (let i = 0; i < 10; i++) {
    const id = String(1 + (((i + 1) * 104729) % departments));
    const email = `seen${i}-${Date.now()}@bench.example.org`;
    await deps.post(writer, token, JSON.stringify({ query: UPDATE, variables: { id, email } }));
    const committed = performance.now();
    for (;;) {
      const read = await deps.post(reader, token, JSON.stringify({ query: READ, variables: { id } }));
      if (read.text.includes(email)) break;
      if (performance.now() - committed > 30_000) throw new Error('a write did not reach the second instance within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    delays.push(performance.now() - committed);
    // the next write starts at a random point of the reader's refresh period
    await new Promise((resolve) => setTimeout(resolve, Math.random() * deps.refreshMs));
  }
  return { p50Ms: median(delays), maxMs: Math.round(Math.max(...delays)), samples: delays.length };
}

/**
 * (w) A small write (a department's e-mail) at the full size and at 200 departments, in
 * alternating rounds so a slow moment of the machine falls on both; and how long a write through
 * one instance takes to reach a second instance on the same database.
 */
export async function writeScenario(deps: WriteBenchDeps, large: string, small: string, token: string, departments: number): Promise<WriteBenchResult> {
  const [largeGateway, smallGateway] = [await deps.startGateway(large), await deps.startGateway(small)];
  const second = await deps.startGateway(large);
  try {
    const rounds = { large: [] as number[][], small: [] as number[][] };
    for (let round = 0; round < ROUNDS; round++) {
      rounds.large.push(await timedWrites(deps, largeGateway.url, token, departments, round));
      rounds.small.push(await timedWrites(deps, smallGateway.url, token, 200, round));
    }
    // the first round warms both up
    const summary = (all: number[][]) => ({
      p50Ms: median(all.slice(1).map((r) => quantile(r, 0.5))),
      p99Ms: median(all.slice(1).map((r) => quantile(r, 0.99))),
    });
    const [largeResult, smallResult] = [summary(rounds.large), summary(rounds.small)];
    const spread = await propagation(deps, largeGateway.url, second.url, token, departments);
    const ratio = Math.round((largeResult.p50Ms / smallResult.p50Ms) * 100) / 100;
    deps.log(
      `(w) a department e-mail write: p50 ${largeResult.p50Ms} ms / p99 ${largeResult.p99Ms} ms at ${departments} departments, p50 ${smallResult.p50Ms} ms / p99 ${smallResult.p99Ms} ms at 200 (ratio ${ratio}); reaches a second instance in p50 ${spread.p50Ms} ms, at most ${spread.maxMs} ms (CONFIG_REFRESH_MS ${deps.refreshMs})`,
    );
    return { large: largeResult, small: smallResult, ratio, propagation: spread };
  } finally {
    await Promise.all([largeGateway.stop(), smallGateway.stop(), second.stop()]);
  }
}
