import { Connection, ConnectionType, CursorShape, Key, pageOfSorted, pageRequest, sortByKey } from '../common/connection';
import type { ListDeps } from '../common/list-deps';
import { cachedSearchKey, searchTerm } from '../common/search-text';
import { keysetPage } from '../database/keyset-page';
import { perSnapshot } from '../snapshot/per-snapshot';
import { SmtpServer } from './smtp-server.entity';

export interface SmtpServerListArgs {
  first?: number | null;
  after?: string | null;
  search?: string | null;
}

export const SmtpServerConnection = ConnectionType(SmtpServer, 'SmtpServer');

const SHAPE: CursorShape = { list: 'smtpServer', kinds: ['s', 'n'] };
const keyOf = (server: SmtpServer): Key => [server.name, server.id];
const searchFields = (s: SmtpServer) => [s.name, s.host];

/** A page of every SMTP server by name then id; `search` matches the name or the host. */
export async function smtpServerConnection(deps: ListDeps, args: SmtpServerListArgs): Promise<Connection<SmtpServer>> {
  const request = pageRequest(SHAPE, args.first, args.after);
  const term = searchTerm(args.search);
  const snapshot = deps.loaders.snapshot;
  if (term === null && !snapshot) {
    const query = deps.dataSource.getRepository(SmtpServer).createQueryBuilder('server');
    return keysetPage(query, { shape: SHAPE, columns: ['server.name', 'server.id'], keyOf }, request);
  }
  const sorted = snapshot
    ? perSnapshot(snapshot, 'servers by name', () => sortByKey(snapshot.serverList, keyOf))
    : sortByKey(await deps.loaders.allServers(), keyOf);
  const rows = term === null ? sorted : sorted.filter((s) => cachedSearchKey(s, searchFields).includes(term));
  return pageOfSorted(SHAPE, keyOf, rows, request);
}
