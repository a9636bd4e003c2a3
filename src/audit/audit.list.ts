import { DataSource } from 'typeorm';
import { Capability, scopeOf } from '../auth/access';
import { Identity } from '../auth/identity';
import { Connection, ConnectionType, CursorShape, Key, pageOfSorted, pageRequest } from '../common/connection';
import { keysetPage } from '../database/keyset-page';
import { AuditEntry } from './audit-entry.entity';
import { checkEntityType } from './record-audit';

export interface AuditListArgs {
  entityType?: string | null;
  entityId?: string | null;
  actor?: string | null;
  first?: number | null;
  after?: string | null;
}

export const AuditEntryConnection = ConnectionType(AuditEntry, 'AuditEntry');

const SHAPE: CursorShape = { list: 'audit', kinds: ['s', 'n'] };
const keyOf = (entry: AuditEntry): Key => [entry.at.toISOString(), entry.id];

/** The audit trail newest first (then by id, newest first); a library-admin sees own libraries' entries only. */
export function auditConnection(dataSource: DataSource, identity: Identity, args: AuditListArgs): Promise<Connection<AuditEntry>> {
  const request = pageRequest(SHAPE, args.first, args.after);
  checkEntityType(args.entityType);
  const scope = scopeOf(identity, Capability.READ_AUDIT);
  if (scope === 'none' || (scope !== 'all' && scope.size === 0)) return Promise.resolve(pageOfSorted(SHAPE, keyOf, [], request));
  const repository = dataSource.getRepository(AuditEntry);
  const query = repository.createQueryBuilder('entry').where('1 = 1');
  if (args.entityType) query.andWhere('entry.entityType = :entityType', { entityType: args.entityType });
  if (args.entityId) query.andWhere('entry.entityId = :entityId', { entityId: args.entityId });
  if (args.actor) query.andWhere('entry.actor = :actor', { actor: args.actor });
  if (scope !== 'all') query.andWhere('entry.libraryId IN (:...libraries)', { libraries: [...scope] });
  const at = repository.metadata.findColumnWithPropertyName('at');
  // the driver's own form of a date (a UTC text on SQLite), so the cursor compares as the column does
  const bind = (key: Key) => [dataSource.driver.preparePersistentValue(new Date(key[0]), at!), key[1]];
  return keysetPage(query, { shape: SHAPE, columns: ['entry.at', 'entry.id'], descending: true, keyOf, bind }, request);
}
