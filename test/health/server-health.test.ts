import { expectError } from '../support/expect-error';
import { createLibrary, createServer, unique } from '../support/fixtures';
import { describeEachDatabase, TestGateway } from '../support/gateway';
import { waitFor } from '../operations/helpers';
import { HOST, SmtpSink, startSmtpSink } from '../transport/smtp-fixtures';

/**
 * Network mail health over the real API on both databases, with real SMTP servers that stop and
 * start again: scheduled checks every few milliseconds mark a server DOWN after two failures and
 * UP after one success; the chains behind it show SERVER_DOWN (a warning while a later server is
 * up, an error when none is); the overview lists them, and /metrics shows the gauges.
 */

const PROBE_MS = 60;
const WAIT_MS = 15_000;

const HEALTH = `{ smtpServers { id name health { status consecutiveFailures checkedAt lastOkAt lastError { reachedStage errorCode checkedAt } history(last: 3) { ok checkedAt } } } }`;
const EFFECTIVE = `query($libraryId: ID!) { effectiveMailConfig(libraryId: $libraryId) { problems { code severity server { name } } } }`;
const OVERVIEW = `query($severity: ProblemSeverity, $code: String, $first: Int, $after: String) {
  mailHealthOverview(severity: $severity, code: $code, first: $first, after: $after) {
    totalCount
    summary { code severity count }
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { library { code } department { id } purpose worstSeverity problems { code severity server { name } } findings { code } } }
  }
}`;
const SEND = `mutation($input: SendTestMailInput!) { sendTestMail(input: $input) { ok attempts { errorCode } } }`;

type Status = 'UP' | 'DOWN' | 'UNKNOWN';

describeEachDatabase(
  'mail health: probes, SERVER_DOWN and the overview',
  (gw: () => TestGateway) => {
    const sinks: Record<string, SmtpSink> = {};
    const servers: Record<string, { id: string; name: string }> = {};
    const libraries: Record<string, { id: string; code: string }> = {};
    const stoppedPorts: Record<string, number> = {};

    async function statuses(): Promise<Record<string, { status: Status; consecutiveFailures: number; lastError: any; history: any[] }>> {
      const data = await gw().ok<any>(HEALTH);
      return Object.fromEntries(data.smtpServers.map((s: any) => [s.name, s.health]));
    }
    async function waitForStatus(expected: Record<string, Status>): Promise<void> {
      await waitFor(
        JSON.stringify(expected),
        async () => {
          const now = await statuses();
          return Object.entries(expected).every(([key, status]) => now[servers[key].name]?.status === status) || undefined;
        },
        WAIT_MS,
      );
    }
    async function start(key: string, port?: number): Promise<void> {
      sinks[key] = await startSmtpSink({ port });
    }

    beforeAll(async () => {
      for (const key of ['primary', 'secondary', 'solo']) await start(key);
      const server = (key: string, next?: string) =>
        createServer(gw(), { name: unique(key), host: HOST, port: sinks[key].port, connectionTimeoutMs: 2000, timeoutMs: 200_000, nextServerId: next });
      servers.secondary = await server('secondary');
      servers.primary = await server('primary', servers.secondary.id);
      servers.solo = await server('solo');
      libraries.fallback = await createLibrary(gw(), { code: unique('FB'), contactEmail: 'fb@example.org', smtpServerId: servers.primary.id });
      libraries.solo = await createLibrary(gw(), { code: unique('SOLO'), contactEmail: 'solo@example.org', smtpServerId: servers.solo.id });
    });

    afterAll(async () => {
      for (const sink of Object.values(sinks)) await sink.close().catch(() => undefined);
    });

    it('every server is checked on schedule and shows UP after one success, without any message sent', async () => {
      await waitForStatus({ primary: 'UP', secondary: 'UP', solo: 'UP' });
      const primary = (await statuses())[servers.primary.name];
      expect(primary.consecutiveFailures).toBe(0);
      expect(primary.lastError).toBeNull();
      expect(primary.history.length).toBeGreaterThan(0);
      expect(Object.values(sinks).every((s) => s.received.length === 0)).toBe(true);
      const overview = (await gw().ok<any>(OVERVIEW)).mailHealthOverview;
      expect(overview.totalCount).toBe(0);
    });

    it('a stopped server goes DOWN after two failed checks; its libraries show SERVER_DOWN: WARNING with a live fallback, ERROR without', async () => {
      Object.assign(stoppedPorts, { primary: sinks.primary.port, solo: sinks.solo.port });
      await sinks.primary.close();
      await sinks.solo.close();
      await waitForStatus({ primary: 'DOWN', solo: 'DOWN', secondary: 'UP' });
      const health = (await statuses())[servers.primary.name];
      expect(health.consecutiveFailures).toBeGreaterThanOrEqual(2);
      expect(health.lastError).toMatchObject({ reachedStage: 'CONNECT', errorCode: 'CONNECTION_FAILED' });

      const fallback = (await gw().ok<any>(EFFECTIVE, { libraryId: libraries.fallback.id })).effectiveMailConfig.problems;
      expect(fallback).toEqual([{ code: 'SERVER_DOWN', severity: 'WARNING', server: { name: servers.primary.name } }]);
      const solo = (await gw().ok<any>(EFFECTIVE, { libraryId: libraries.solo.id })).effectiveMailConfig.problems;
      expect(solo).toEqual([{ code: 'SERVER_DOWN', severity: 'ERROR', server: { name: servers.solo.name } }]);
    });

    it('the overview lists the affected libraries for each purpose, worst first, with the summary over the whole result and pages', async () => {
      const overview = (await gw().ok<any>(OVERVIEW)).mailHealthOverview;
      const rows = overview.edges.map((e: any) => [e.node.library.code, e.node.purpose, e.node.worstSeverity]);
      expect(rows).toEqual([
        [libraries.solo.code, 'GENERAL', 'ERROR'],
        [libraries.solo.code, 'INTERLIBRARY_LOAN', 'ERROR'],
        [libraries.fallback.code, 'GENERAL', 'WARNING'],
        [libraries.fallback.code, 'INTERLIBRARY_LOAN', 'WARNING'],
      ]);
      expect(overview.totalCount).toBe(4);
      expect(overview.summary).toEqual([
        { code: 'SERVER_DOWN', severity: 'ERROR', count: 2 },
        { code: 'SERVER_DOWN', severity: 'WARNING', count: 2 },
      ]);
      // Findings come from the background pass (DNS here answers nothing, hence temperror), never from the query.
      await waitFor(
        'deliverability findings',
        async () => {
          const first = (await gw().ok<any>(OVERVIEW, { first: 1 })).mailHealthOverview.edges[0].node;
          return first.findings.some((f: any) => f.code === 'SPF_TEMPERROR') || undefined;
        },
        WAIT_MS,
      );

      const errorsOnly = (await gw().ok<any>(OVERVIEW, { severity: 'ERROR' })).mailHealthOverview;
      expect(errorsOnly.totalCount).toBe(2);
      expect(errorsOnly.summary).toEqual([{ code: 'SERVER_DOWN', severity: 'ERROR', count: 2 }]);

      const page1 = (await gw().ok<any>(OVERVIEW, { first: 3 })).mailHealthOverview;
      expect(page1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
      const page2 = (await gw().ok<any>(OVERVIEW, { first: 3, after: page1.pageInfo.endCursor })).mailHealthOverview;
      expect(page2.edges.map((e: any) => e.node.library.code)).toEqual([libraries.fallback.code]);
      expect(page2.summary).toEqual(overview.summary);
      expect((await gw().ok<any>(OVERVIEW, { code: 'NO_SENDER' })).mailHealthOverview.totalCount).toBe(0);
    });

    it('a library-admin sees its own libraries only; a service token is FORBIDDEN', async () => {
      const admin = await gw().token({ sub: 'fb-admin', roles: ['library-admin'], libraries: [Number(libraries.fallback.id)] } as any);
      const own = (await gw().ok<any>(OVERVIEW, {}, admin)).mailHealthOverview;
      expect(new Set(own.edges.map((e: any) => e.node.library.code))).toEqual(new Set([libraries.fallback.code]));
      expect(own.summary).toEqual([{ code: 'SERVER_DOWN', severity: 'WARNING', count: 2 }]);
      expectError(await gw().gql(OVERVIEW, {}, gw().tokens.service), 'FORBIDDEN');
    });

    it('SERVER_DOWN never makes sendTestMail refuse: support can test whether the server is back', async () => {
      const result = await gw().gql<any>(SEND, { input: { libraryId: libraries.solo.id, to: 'someone@example.org' } });
      expect(result.errors).toBeUndefined();
      expect(result.data.sendTestMail).toEqual({ ok: false, attempts: [{ errorCode: 'CONNECTION_FAILED' }] });
    });

    it('/metrics: smtp_server_up per server, probe durations and the libraries with an ERROR', async () => {
      const text = await (await fetch(`${gw().url}/metrics`)).text();
      expect(text).toContain(`smtp_server_up{server="${servers.primary.name}"} 0`);
      expect(text).toContain(`smtp_server_up{server="${servers.secondary.name}"} 1`);
      expect(text).toMatch(/mail_gateway_smtp_probe_duration_ms_count [1-9]/);
      await waitFor(
        'libraries with errors',
        async () => {
          const now = await (await fetch(`${gw().url}/metrics`)).text();
          return /\nmail_gateway_libraries_with_errors 1\n/.test(now) || undefined;
        },
        WAIT_MS,
      );
    });

    it('when the servers come back everything returns to UP and the overview empties', async () => {
      await start('primary', stoppedPorts.primary);
      await start('solo', stoppedPorts.solo);
      await waitForStatus({ primary: 'UP', solo: 'UP', secondary: 'UP' });
      expect((await gw().ok<any>(EFFECTIVE, { libraryId: libraries.fallback.id })).effectiveMailConfig.problems).toEqual([]);
      expect((await gw().ok<any>(OVERVIEW)).mailHealthOverview.totalCount).toBe(0);
    });
  },
  { probes: { intervalMs: PROBE_MS, concurrency: 4 } },
);
