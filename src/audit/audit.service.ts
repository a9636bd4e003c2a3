import { DataSource, FindOptionsWhere, In, LessThan } from 'typeorm';
import { Capability, scopeOf } from '../auth/access';
import { Identity } from '../auth/identity';
import { BadInputError } from '../common/errors';
import { parseId } from '../common/text';
import { AuditEntry } from './audit-entry.entity';
import { AuditRecord, checkEntityType, insertAuditEntry } from './record-audit';

export const MAX_AUDIT_PAGE = 500;

export interface AuditQuery {
  entityType?: string | null;
  entityId?: string | null;
  limit: number;
  before?: string | null;
}

export class AuditService {
  constructor(private readonly dataSource: DataSource) {}

  /** For mutations that change no configuration (test mails, verifications) but must be attributable. */
  async record(record: AuditRecord): Promise<void> {
    await insertAuditEntry(this.dataSource.manager, record);
  }

  /** Newest first; `before` pages on by entry id. A library-admin sees only own libraries' entries. */
  list(query: AuditQuery, identity: Identity): Promise<AuditEntry[]> {
    if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > MAX_AUDIT_PAGE) {
      throw new BadInputError('limit', `limit must be from 1 to ${MAX_AUDIT_PAGE}`);
    }
    checkEntityType(query.entityType);
    const where: FindOptionsWhere<AuditEntry> = {};
    if (query.entityType) where.entityType = query.entityType;
    if (query.entityId) where.entityId = query.entityId;
    if (query.before !== null && query.before !== undefined) {
      const before = parseId(query.before);
      if (before === null) throw new BadInputError('before', 'before must be the id of an audit entry');
      where.id = LessThan(before);
    }
    // the audit capability's own scope: reading every library as a service does not widen it
    const scope = scopeOf(identity, Capability.READ_AUDIT);
    if (scope !== 'all') {
      if (scope === 'none' || scope.size === 0) return Promise.resolve([]);
      where.libraryId = In([...scope]);
    }
    return this.dataSource.getRepository(AuditEntry).find({ where, order: { id: 'DESC' }, take: query.limit });
  }
}
