import { SYSTEM_ACTOR } from '../../src/bootstrap/system-actor';
import { Department } from '../../src/department/department.entity';
import { WriteRunner } from '../../src/database/transaction';
import { readHistoryBounds, sqlDateTime } from '../../src/history/history-bounds';
import { HistoryPruner } from '../../src/history/history-pruner';
import { CHANGE_PAGE } from '../../src/history/historical-snapshot';
import { MAX_REVISIONS_PER_REQUEST } from '../../src/history/history.service';
import { readRevision } from '../../src/snapshot/snapshot-store';
import { expectError } from '../support/expect-error';
import { createChain, createDepartment, createLibrary, setSetting } from '../support/fixtures';
import { describeEachDatabase, TestGateway, WITH_SNAPSHOT } from '../support/gateway';

/**
 * Hostile and heavy uses of `at`: many moments in one request, moments at the edges of what a
 * DateTime can say, credentials through every path beneath an answer of the past, and a long
 * history walked back in pages.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function moment(): Promise<Date> {
  await sleep(3);
  const at = new Date();
  await sleep(3);
  return at;
}

const UPDATE_LIBRARY = `mutation RenameLibraryAttack($id: ID!, $input: LibraryUpdateInput!) { updateLibrary(id: $id, input: $input) { id } }`;
const NAME_AT = `query NameAt($id: ID!, $at: DateTime) { effectiveMailConfig(libraryId: $id, at: $at) { revision library { name } } }`;

/** One alias per moment, each asking for the library's name then. */
function aliasedNames(libraryId: string, moments: readonly Date[]): string {
  const fields = moments.map((at, i) => `m${i}: effectiveMailConfig(libraryId: "${libraryId}", at: "${at.toISOString()}") { revision library { name } }`);
  return `query ManyMoments { ${fields.join('\n')} }`;
}

interface Story {
  libraryId: string;
  otherLibraryId: string;
  /** One moment inside each of six different revisions, oldest first. */
  moments: Date[];
  /** Thirty moments inside one quiet revision. */
  quiet: Date[];
}

async function tellStory(gw: TestGateway): Promise<Story> {
  const [first] = await createChain(gw, [
    { name: 'Attack primary', username: 'relay', password: 'relay-secret-1', requiresAuth: true },
    { name: 'Attack fallback' },
  ]);
  const library = await createLibrary(gw, { name: 'Name 0', contactEmail: 'attack@example.org', smtpServerId: first.id });
  const other = await createLibrary(gw, { name: 'Foreign library', contactEmail: 'foreign@example.org', smtpServerId: first.id });
  await setSetting(gw, { key: 'ILS_SMTP_SERVER', scope: 'LIBRARY', libraryId: library.id, value: first.id });
  await createDepartment(gw, library.id, { name: 'Attack department', smtpServerId: first.id });
  const start = Date.now();
  await sleep(45);
  const quiet = Array.from({ length: 30 }, (_, i) => new Date(start + 5 + i));
  const moments = [await moment()];
  for (let i = 1; i < 6; i++) {
    await gw.ok(UPDATE_LIBRARY, { id: library.id, input: { name: `Name ${i}` } });
    moments.push(await moment());
  }
  return { libraryId: library.id, otherLibraryId: other.id, moments, quiet };
}

describeEachDatabase(
  'time travel under attack',
  (gw) => {
    let story: Story;
    beforeAll(async () => {
      story = await tellStory(gw());
    });

    it(`a request asking about more than ${MAX_REVISIONS_PER_REQUEST} different past revisions is BAD_USER_INPUT on at; ${MAX_REVISIONS_PER_REQUEST} and the current one are answered`, async () => {
      const past = story.moments.slice(0, MAX_REVISIONS_PER_REQUEST + 1);
      const result = await gw().gql<any>(aliasedNames(story.libraryId, past));
      // effectiveMailConfig is non-null: the refused alias takes the whole answer with it
      expectError(result, 'BAD_USER_INPUT', { field: 'at', noData: true });
      expect(result.errors).toHaveLength(1);
      expect(result.errors![0].message).toContain(`at most ${MAX_REVISIONS_PER_REQUEST} different moments`);
      // the heaviest legitimate use: as many moments as allowed, the current one besides
      const allowed = await gw().ok<any>(aliasedNames(story.libraryId, [...story.moments.slice(1, 1 + MAX_REVISIONS_PER_REQUEST), new Date()]));
      expect(Object.values(allowed).map((a: any) => a.library.name)).toEqual(['Name 1', 'Name 2', 'Name 3', 'Name 4', 'Name 5']);
    });

    it('thirty aliases at one moment, and thirty different moments of one revision, count as one revision and are answered', async () => {
      const same = await gw().ok<any>(
        aliasedNames(
          story.libraryId,
          Array.from({ length: 30 }, () => story.moments[2]),
        ),
      );
      expect(new Set(Object.values(same).map((a: any) => a.library.name))).toEqual(new Set(['Name 2']));
      const quiet = await gw().ok<any>(aliasedNames(story.libraryId, story.quiet));
      expect(new Set(Object.values(quiet).map((a: any) => a.library.name))).toEqual(new Set(['Name 0']));
    });

    it('a burst of requests for different moments: each answered as then', async () => {
      const answers = await Promise.all(story.moments.map((at) => gw().ok<any>(NAME_AT, { id: story.libraryId, at: at.toISOString() })));
      expect(answers.map((a) => a.effectiveMailConfig.library.name)).toEqual(['Name 0', 'Name 1', 'Name 2', 'Name 3', 'Name 4', 'Name 5']);
    });

    it('the latest moment a DateTime can say (year 9999 with an offset, past year 9999 in UTC) is the current configuration', async () => {
      const revision = await readRevision(gw().dataSource.manager);
      for (const at of ['9999-12-31T23:59:59.999-23:59', '9999-12-31T23:59:59Z', new Date(Date.now() + 3_600_000).toISOString()]) {
        const { effectiveMailConfig: then } = await gw().ok<any>(NAME_AT, { id: story.libraryId, at });
        expect(then).toEqual({ revision, library: { name: 'Name 5' } });
      }
    });

    it('exactly the oldest moment kept is answered; the earliest DateTime is BAD_USER_INPUT on at naming the oldest moment', async () => {
      const { historySince } = await readHistoryBounds(gw().dataSource.manager);
      const global = `query GlobalAt($at: DateTime) { effectiveSetting(key: "DEFAULT_SMTP_SERVER", at: $at) { key } }`;
      expect(await gw().ok<any>(global, { at: historySince!.toISOString() })).toEqual({ effectiveSetting: { key: 'DEFAULT_SMTP_SERVER' } });
      for (const at of ['0000-01-01T00:00:00Z', '0000-01-01T00:00:00+23:59']) {
        const result = await gw().gql(NAME_AT, { id: story.libraryId, at });
        expect(expectError(result, 'BAD_USER_INPUT', { field: 'at', noData: true }).oldest).toBe(historySince!.toISOString());
      }
    });

    it('malformed moments are BAD_USER_INPUT before anything runs, and the value is not echoed', async () => {
      const malformed: unknown[] = [
        '2026-02-30T00:00:00Z',
        'yesterday',
        '2026-03-10',
        '2026-03-10T08:00:00',
        '',
        '+010000-01-01T00:00:00Z',
        'SECRET-9f3a',
        1700000000,
        true,
        {},
      ];
      for (const at of malformed) {
        const result = await gw().gql(NAME_AT, { id: story.libraryId, at });
        expect(result.status).toBe(400);
        expect(result.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
        if (typeof at === 'string' && at !== '') expect(JSON.stringify(result.errors)).not.toContain(at);
      }
      const literal = await gw().gql(`{ effectiveMailConfig(libraryId: "${story.libraryId}", at: "SECRET-9f3a") { revision } }`);
      expect(result400(literal)).toBe(true);
      expect(JSON.stringify(literal.errors)).not.toContain('SECRET-9f3a');
    });

    it('D12: transport of a server read with at is refused through every path: aliases, fragments, nested chains, problems, settings, lists', async () => {
      const query = `query TransportEverywhere($id: ID!, $at: DateTime) {
        a: effectiveMailConfig(libraryId: $id, at: $at) {
          servers { ...T nextServer { ...T nextServer { transport { host } } } }
          problems { server { transport { host } } }
          library { smtpServer { ... on SmtpServer { transport { host } } } departments { smtpServer { ...T } effectiveMailConfig { servers { ...T } } } }
        }
        b: library(id: $id) { effectiveMailConfig(at: $at) { servers { ...T } } departments { effectiveMailConfig(at: $at) { servers { ...T } } } }
        c: effectiveSetting(key: "ILS_SMTP_SERVER", libraryId: $id, at: $at) { smtpServer { ...T } source { library { smtpServer { ...T } } } }
      }
      fragment T on SmtpServer { transport { host auth { pass } } usedByLibraries { smtpServer { transport { auth { pass } } } } }`;
      const result = await gw().gql<any>(query, { id: story.libraryId, at: story.moments[1].toISOString() }, gw().tokens.credentials);
      const transports: unknown[] = [];
      const walk = (value: unknown): void => {
        if (Array.isArray(value)) value.forEach(walk);
        else if (value && typeof value === 'object') {
          for (const [key, inner] of Object.entries(value)) {
            if (key === 'transport') transports.push(inner);
            else walk(inner);
          }
        }
      };
      walk(result.data);
      expect(transports.length).toBeGreaterThan(10);
      expect(transports.every((t) => t === null)).toBe(true);
      const transportErrors = result.errors!.filter((e) => e.path![e.path!.length - 1] === 'transport');
      expect(transportErrors).toHaveLength(transports.length);
      expect(transportErrors.every((e) => e.extensions!.code === 'BAD_USER_INPUT' && e.extensions!.field === 'at')).toBe(true);
      expect(JSON.stringify(result)).not.toContain('relay-secret-1');
    });

    it("R2: a library-admin cannot reach another library's past through a department that belonged to it then", async () => {
      // Departments do not move through the API; a write recorded in the log (as a data migration would) moves one.
      const foreign = await createDepartment(gw(), story.otherLibraryId, { name: 'Foreign department' });
      const before = await moment();
      const writes = (gw().services.revert as unknown as { writes: WriteRunner }).writes;
      await writes.run(async (manager, write) => {
        const row = await manager.findOneByOrFail(Department, { id: Number(foreign.id) });
        const was = { ...row };
        await manager.update(Department, { id: row.id }, { libraryId: Number(story.libraryId), version: row.version + 1 });
        await write.record({
          actor: 'migration',
          action: 'moveDepartment',
          entityType: 'Department',
          entityId: row.id,
          before: was,
          after: { ...row, libraryId: Number(story.libraryId), version: row.version + 1 },
        });
      });
      const admin = await gw().token({ sub: 'admin-attack', roles: ['library-admin'], libraries: [Number(story.libraryId)] });
      const query = `query MovedDepartment($id: ID!, $at: DateTime) { department(id: $id) { name effectiveMailConfig(at: $at) { library { name contactEmail } } } }`;
      const now = await gw().ok<any>(query, { id: foreign.id }, admin);
      expect(now.department.effectiveMailConfig.library.name).toBe('Name 5');
      const then = await gw().gql<any>(query, { id: foreign.id, at: before.toISOString() }, admin);
      expectError(then, 'FORBIDDEN');
      expect(JSON.stringify(then)).not.toContain('foreign@example.org');
      const direct = `query MovedDirect($l: ID!, $d: ID!, $at: DateTime) { effectiveMailConfig(libraryId: $l, departmentId: $d, at: $at) { library { name } } }`;
      expectError(await gw().gql(direct, { l: story.otherLibraryId, d: foreign.id, at: before.toISOString() }, admin), 'FORBIDDEN', { noData: true });
      // support still reads it
      const support = await gw().ok<any>(query, { id: foreign.id, at: before.toISOString() });
      expect(support.department.effectiveMailConfig.library).toEqual({ name: 'Foreign library', contactEmail: 'foreign@example.org' });
    });

    it(`a long history (more than ${CHANGE_PAGE} revisions) is walked back in pages: the moment before it answers as then`, async () => {
      const library = await createLibrary(gw(), { name: 'Long 0', contactEmail: 'long@example.org' });
      const before = await moment();
      const from = await readRevision(gw().dataSource.manager);
      const count = CHANGE_PAGE + 200;
      for (let i = 1; i <= count; i++) await gw().services.libraries.update(library.id, { name: `Long ${i}` }, null, SYSTEM_ACTOR);
      expect((await readRevision(gw().dataSource.manager)) - from).toBe(count);
      const { effectiveMailConfig: then } = await gw().ok<any>(NAME_AT, { id: library.id, at: before.toISOString() });
      expect(then.library.name).toBe('Long 0');
      expect(then.revision).toBe(from);
    }, 120_000);

    it('a list whose every item asks about the same moment costs the two small queries once, not per item', async () => {
      for (let i = 0; i < 40; i++) await createDepartment(gw(), story.otherLibraryId, { name: `Listed ${i}` });
      await sleep(5);
      const at = new Date(Date.now() - 1);
      await sleep(3);
      await gw().ok(UPDATE_LIBRARY, { id: story.otherLibraryId, input: { shortName: 'Listed' } });
      const query = `query EveryDepartmentAt($id: ID!, $at: DateTime) { library(id: $id) { departments { effectiveMailConfig(at: $at) { revision } } } }`;
      const first = await gw().ok<any>(query, { id: story.otherLibraryId, at: at.toISOString() });
      expect(first.library.departments.length).toBeGreaterThanOrEqual(40);
      // another moment of the same revision, so the answer is not the cached one
      const again = new Date(at.getTime() - 1).toISOString();
      const statements = await gw().countStatements(() => gw().ok(query, { id: story.otherLibraryId, at: again }));
      expect(statements).toBe(2);
    });

    // Last: it back-dates the history and prunes it.
    it('pruning on another instance while a moment is being rebuilt: BAD_USER_INPUT on at naming the new oldest moment, never a half-built past', async () => {
      const DAY_MS = 86_400_000;
      const now = Date.now();
      const [kept, changed, asked] = [new Date(now - 20 * DAY_MS), new Date(now - 10 * DAY_MS), new Date(now - 15 * DAY_MS)];
      const revision = await readRevision(gw().dataSource.manager);
      await gw().dataSource.query('UPDATE config_revision SET historySince = ? WHERE id = 1', [sqlDateTime(kept)]);
      await gw().dataSource.query('UPDATE audit_entry SET at = ? WHERE revision IS NOT NULL', [sqlDateTime(changed)]);
      const query = `query GlobalBeforePrune($at: DateTime) { effectiveSetting(key: "DEFAULT_SMTP_SERVER", at: $at) { key } }`;
      const history = gw().services.history as unknown as { snapshots: { get: (...args: unknown[]) => Promise<unknown>; clear: () => void } };
      // a past already built stays right after a pruning; this one is not built yet
      history.snapshots.clear();
      const get = history.snapshots.get.bind(history.snapshots);
      const writes = (gw().services.revert as unknown as { writes: WriteRunner }).writes;
      // the moment's revision is known, its rebuild not started: then the other instance prunes
      const spy = jest.spyOn(history.snapshots, 'get').mockImplementationOnce(async (...args: unknown[]) => {
        await new HistoryPruner(writes, { days: 5 }, { log: () => undefined }).prune();
        return get(...args);
      });
      const result = await gw().gql(query, { at: asked.toISOString() });
      expect(spy).toHaveBeenCalled();
      expect(expectError(result, 'BAD_USER_INPUT', { field: 'at', noData: true }).oldest).toBe(changed.toISOString());
      expect(await readHistoryBounds(gw().dataSource.manager)).toMatchObject({ historyRevision: revision, historySince: changed });
      spy.mockRestore();
    });
  },
  WITH_SNAPSHOT,
  ', snapshot',
);

function result400(result: { status: number; errors?: unknown[] }): boolean {
  return result.status === 400 && Array.isArray(result.errors);
}
