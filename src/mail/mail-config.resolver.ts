import { Arg, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { Capability, requireIdentity, requireLibraryScope } from '../auth/access';
import type { GatewayContext } from '../context';
import { Department } from '../department/department.entity';
import { loadScopeTarget } from '../department/scope-target';
import { Library } from '../library/library.entity';
import { MailPurpose } from './mail.enums';
import { EffectiveMailConfig } from './mail-config.types';

@Resolver()
export class MailConfigResolver {
  @Authorized(Capability.READ_EFFECTIVE)
  @Query(() => EffectiveMailConfig, { description: 'The server chain and sender for a library, department and purpose, explained' })
  async effectiveMailConfig(
    @Arg('libraryId', () => ID) libraryId: string,
    @Arg('departmentId', () => ID, { nullable: true }) departmentId: string | null,
    @Arg('purpose', () => MailPurpose, { defaultValue: MailPurpose.GENERAL }) purpose: MailPurpose,
    @Ctx() ctx: GatewayContext,
  ): Promise<EffectiveMailConfig> {
    const { library, department } = await loadScopeTarget(ctx.loaders, requireIdentity(ctx.identity), Capability.READ_EFFECTIVE, libraryId, departmentId);
    return ctx.services.mailConfig.resolve(ctx.loaders, library as Library, department, purpose);
  }
}

@Resolver(() => Library)
export class LibraryMailConfigResolver {
  @Authorized(Capability.READ_EFFECTIVE)
  @FieldResolver(() => EffectiveMailConfig)
  async effectiveMailConfig(
    @Root() library: Library,
    @Arg('departmentId', () => ID, { nullable: true }) departmentId: string | null,
    @Arg('purpose', () => MailPurpose, { defaultValue: MailPurpose.GENERAL }) purpose: MailPurpose,
    @Ctx() ctx: GatewayContext,
  ): Promise<EffectiveMailConfig> {
    const { department } = await loadScopeTarget(ctx.loaders, requireIdentity(ctx.identity), Capability.READ_EFFECTIVE, String(library.id), departmentId);
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
    @Ctx() ctx: GatewayContext,
  ): Promise<EffectiveMailConfig> {
    // The department is at hand; only its library is looked up (usually already primed by the list).
    requireLibraryScope(requireIdentity(ctx.identity), Capability.READ_EFFECTIVE, department.libraryId);
    const library = (await ctx.loaders.libraryById.load(department.libraryId)) as Library;
    return ctx.services.mailConfig.resolve(ctx.loaders, library, department, purpose);
  }
}
