import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { Capability, requireLibraryScope } from '../auth/access';
import { CurrentIdentity } from '../auth/current-identity';
import type { Identity } from '../auth/identity';
import { loadScopeTarget } from '../auth/scope-target';
import { loadOrNotFound } from '../common/load-or-not-found';
import type { GatewayContext } from '../context';
import { Department } from '../department/department.entity';
import { Library } from '../library/library.entity';
import { MailTargetArgs } from './mail-config.args';
import { MailPurpose } from './mail.enums';
import { EffectiveMailConfig } from './mail-config.types';

@Resolver()
export class MailConfigResolver {
  @Authorized(Capability.READ_EFFECTIVE)
  @Query(() => EffectiveMailConfig, { description: 'The server chain and sender for a library, department and purpose, explained' })
  async effectiveMailConfig(
    @Arg('libraryId', () => ID) libraryId: string,
    @Args(() => MailTargetArgs) { departmentId, purpose }: MailTargetArgs,
    @CurrentIdentity() identity: Identity,
    @Ctx() ctx: GatewayContext,
  ): Promise<EffectiveMailConfig> {
    const { library, department } = await loadScopeTarget(ctx.loaders, identity, Capability.READ_EFFECTIVE, libraryId, departmentId);
    return ctx.services.mailConfig.resolve(ctx.loaders, library, department, purpose);
  }
}

@Resolver(() => Library)
export class LibraryMailConfigResolver {
  @Authorized(Capability.READ_EFFECTIVE)
  @FieldResolver(() => EffectiveMailConfig)
  async effectiveMailConfig(
    @Root() library: Library,
    @Args(() => MailTargetArgs) { departmentId, purpose }: MailTargetArgs,
    @CurrentIdentity() identity: Identity,
    @Ctx() ctx: GatewayContext,
  ): Promise<EffectiveMailConfig> {
    const { department } = await loadScopeTarget(ctx.loaders, identity, Capability.READ_EFFECTIVE, String(library.id), departmentId);
    return ctx.services.mailConfig.resolve(ctx.loaders, library, department, purpose);
  }
}

@Resolver(() => Department)
export class DepartmentMailConfigResolver {
  @Authorized(Capability.READ_EFFECTIVE)
  @FieldResolver(() => EffectiveMailConfig)
  async effectiveMailConfig(
    @Root() department: Department,
    @Arg('purpose', () => MailPurpose, { defaultValue: MailPurpose.GENERAL }) purpose: MailPurpose,
    @CurrentIdentity() identity: Identity,
    @Ctx() ctx: GatewayContext,
  ): Promise<EffectiveMailConfig> {
    // The department is at hand; only its library is looked up (usually already primed by the list).
    requireLibraryScope(identity, Capability.READ_EFFECTIVE, department.libraryId);
    const library = await loadOrNotFound(ctx.loaders.libraryById, 'Library', department.libraryId);
    return ctx.services.mailConfig.resolve(ctx.loaders, library, department, purpose);
  }
}
