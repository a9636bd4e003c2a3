import { Arg, Authorized, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { Capability } from '../auth/access';
import { CurrentIdentity } from '../auth/current-identity';
import type { Identity } from '../auth/identity';
import type { GatewayContext } from '../context';
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
}
