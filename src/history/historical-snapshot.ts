import { DataSource } from 'typeorm';
import { AuditEntry } from '../audit/audit-entry.entity';
import { ConfigSnapshot, SnapshotRows } from '../snapshot/config-snapshot';
import { markHistorical } from './historical-rows';
import { HistoricalRows, LoggedChange } from './undo-changes';

/** Entries read per query: a long history is walked without being held in memory at once. */
export const CHANGE_PAGE = 1000;

/** The rows a snapshot was built from, as lists again. */
export function rowsOfSnapshot(snapshot: ConfigSnapshot): SnapshotRows {
  return {
    revision: snapshot.revision,
    servers: [...snapshot.serverList],
    libraries: [...snapshot.libraryList],
    departments: [...snapshot.departments.values()],
    definitions: [...snapshot.definitionList],
    values: [...snapshot.globalValues, ...[...snapshot.libraryValues.values()].flat(), ...[...snapshot.departmentValues.values()].flat()],
  };
}

/** The changes of revisions after `from` up to `to`, newest first, one page at a time. */
export async function* changesNewestFirst(dataSource: DataSource, from: number, to: number, pageSize = CHANGE_PAGE): AsyncGenerator<LoggedChange[]> {
  let last: { revision: number; id: number } | null = null;
  while (true) {
    const query = dataSource
      .getRepository(AuditEntry)
      .createQueryBuilder('entry')
      .select(['entry.id', 'entry.revision', 'entry.entityType', 'entry.beforeJson', 'entry.afterJson'])
      .where('entry.revision > :from AND entry.revision <= :to', { from, to });
    if (last) query.andWhere('(entry.revision < :revision OR (entry.revision = :revision AND entry.id < :id))', last);
    const entries = await query.orderBy('entry.revision', 'DESC').addOrderBy('entry.id', 'DESC').limit(pageSize).getMany();
    if (entries.length === 0) return;
    yield entries.map((entry) => ({ revision: Number(entry.revision), entityType: entry.entityType, before: entry.before, after: entry.after }));
    const tail = entries[entries.length - 1];
    last = { revision: Number(tail.revision), id: Number(tail.id) };
    if (entries.length < pageSize) return;
  }
}

/**
 * The configuration as it was at `revision`: the current rows, copied, with every later change
 * undone newest first. Its rows are marked, so fields read beneath them answer at that revision.
 */
export async function buildHistoricalSnapshot(
  dataSource: DataSource,
  current: SnapshotRows,
  revision: number,
  pageSize = CHANGE_PAGE,
): Promise<ConfigSnapshot> {
  const rows = new HistoricalRows(dataSource, current);
  for await (const page of changesNewestFirst(dataSource, revision, current.revision, pageSize)) {
    for (const change of page) rows.undo(change);
  }
  const snapshot = new ConfigSnapshot(rows.rows(revision));
  markHistorical(snapshot);
  return snapshot;
}
