import { Arg, Authorized, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { Capability } from '../auth/access';
import { CurrentIdentity } from '../auth/current-identity';
import type { Identity } from '../auth/identity';
import type { Connection } from '../common/connection';
import { DEFAULT_PAGE } from '../common/connection';
import type { GatewayContext } from '../context';
import { auditConnection, AuditEntryConnection } from './audit.list';
import { AuditEntry } from './audit-entry.entity';

@Resolver(() => AuditEntry)
export class AuditResolver {
  @Authorized(Capability.READ_AUDIT)
  @Query(() => [AuditEntry], { description: 'Who changed what, newest first; a library-admin sees own libraries only' })
  auditLog(
    @Arg('entityType', () => String, { nullable: true }) entityType: string | null,
    @Arg('entityId', () => ID, { nullable: true }) entityId: string | null,
    @Arg('limit', () => Int, { nullable: true, defaultValue: 50 }) limit: number | null,
    @Arg('before', () => ID, { nullable: true }) before: string | null,
    @CurrentIdentity() identity: Identity,
    @Ctx() ctx: GatewayContext,
  ): Promise<AuditEntry[]> {
    return ctx.services.audit.list({ entityType, entityId, limit: limit ?? 50, before }, identity);
  }

  @Authorized(Capability.READ_AUDIT)
  @Query(() => AuditEntryConnection, { description: 'A page of the audit trail, newest first; a library-admin sees, and counts, own libraries only' })
  auditLogConnection(
    @Arg('entityType', () => String, { nullable: true, description: 'Library, Department, SmtpServer, SettingDefinition or SettingValue' })
    entityType: string | null,
    @Arg('entityId', () => ID, { nullable: true }) entityId: string | null,
    @Arg('actor', () => String, { nullable: true }) actor: string | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_PAGE, description: 'At most 500' }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @CurrentIdentity() identity: Identity,
    @Ctx() ctx: GatewayContext,
  ): Promise<Connection<AuditEntry>> {
    return auditConnection(ctx.services.lists.dataSource, identity, { entityType, entityId, actor, first, after });
  }
}
