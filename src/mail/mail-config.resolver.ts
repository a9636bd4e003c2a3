import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { Capability, requireLibraryScope } from '../auth/access';
import { CurrentIdentity } from '../auth/current-identity';
import type { Identity } from '../auth/identity';
import { loadScopeTarget } from '../auth/scope-target';
import { loadOrNotFound } from '../common/load-or-not-found';
import type { GatewayContext } from '../context';
import { Department } from '../department/department.entity';
import { AT_DESCRIPTION } from '../history/history-bounds';
import { asOf, loadersAtOrFor } from '../history/history-loaders';
import { Library } from '../library/library.entity';
import { MailTargetArgs } from './mail-config.args';
import { MailPurpose } from './mail.enums';
import { EffectiveMailConfig } from './mail-config.types';

@Resolver()
export class MailConfigResolver {
  @Authorized(Capability.READ_EFFECTIVE)
  @Query(() => EffectiveMailConfig, { description: 'The server chain and sender for a library, department and purpose, explained; with `at`, as it was then' })
  async effectiveMailConfig(
    @Arg('libraryId', () => ID) libraryId: string,
    @Args(() => MailTargetArgs) { departmentId, purpose, at }: MailTargetArgs,
    @CurrentIdentity() identity: Identity,
    @Ctx() ctx: GatewayContext,
  ): Promise<EffectiveMailConfig> {
    const loaders = await ctx.services.history.loadersAt(ctx, at);
    const { library, department } = await loadScopeTarget(loaders, identity, Capability.READ_EFFECTIVE, libraryId, departmentId);
    return asOf(await ctx.services.mailConfig.resolve(loaders, library, department, purpose), at);
  }
}

@Resolver(() => Library)
export class LibraryMailConfigResolver {
  @Authorized(Capability.READ_EFFECTIVE)
  @FieldResolver(() => EffectiveMailConfig)
  async effectiveMailConfig(
    @Root() root: Library,
    @Args(() => MailTargetArgs) { departmentId, purpose, at }: MailTargetArgs,
    @CurrentIdentity() identity: Identity,
    @Ctx() ctx: GatewayContext,
  ): Promise<EffectiveMailConfig> {
    const loaders = await loadersAtOrFor(ctx, root, at);
    const target = await loadScopeTarget(loaders, identity, Capability.READ_EFFECTIVE, String(root.id), departmentId);
    // At another moment the library is the one of then (NOT_FOUND when it did not exist yet).
    const library = at ? target.library : root;
    return asOf(await ctx.services.mailConfig.resolve(loaders, library, target.department, purpose), at);
  }
}

@Resolver(() => Department)
export class DepartmentMailConfigResolver {
  @Authorized(Capability.READ_EFFECTIVE)
  @FieldResolver(() => EffectiveMailConfig)
  async effectiveMailConfig(
    @Root() root: Department,
    @Arg('purpose', () => MailPurpose, { defaultValue: MailPurpose.GENERAL }) purpose: MailPurpose,
    @Arg('at', () => Date, { nullable: true, description: AT_DESCRIPTION }) at: Date | null,
    @CurrentIdentity() identity: Identity,
    @Ctx() ctx: GatewayContext,
  ): Promise<EffectiveMailConfig> {
    // The department is at hand; only its library is looked up (usually already primed by the list).
    requireLibraryScope(identity, Capability.READ_EFFECTIVE, root.libraryId);
    const loaders = await loadersAtOrFor(ctx, root, at);
    const department = at ? await loadOrNotFound(loaders.departmentById, 'Department', root.id) : root;
    // The department of then may have belonged to another library: access is to that library's past.
    if (department !== root) requireLibraryScope(identity, Capability.READ_EFFECTIVE, department.libraryId);
    const library = await loadOrNotFound(loaders.libraryById, 'Library', department.libraryId);
    return asOf(await ctx.services.mailConfig.resolve(loaders, library, department, purpose), at);
  }
}
