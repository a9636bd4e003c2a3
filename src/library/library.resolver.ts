import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { canAccessLibrary, Capability, requireIdentity, requireLibraryAccess } from '../auth/access';
import { parseId } from '../common/text';
import type { GatewayContext } from '../context';
import { Department } from '../department/department.entity';
import { SettingValue } from '../settings/setting-value.entity';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { Library } from './library.entity';
import { LibraryInput, LibraryUpdateInput } from './library.input';

@Resolver(() => Library)
export class LibraryResolver {
  @Authorized(Capability.READ_LIBRARIES)
  @Query(() => [Library], { description: 'All libraries; a library-admin sees own libraries only' })
  async libraries(@Ctx() ctx: GatewayContext): Promise<Library[]> {
    const identity = requireIdentity(ctx.identity);
    const libraries = (await ctx.loaders.allLibraries()).filter((library) => canAccessLibrary(identity, library.id));
    for (const library of libraries) ctx.loaders.libraryById.prime(library.id, library);
    return libraries;
  }

  @Authorized(Capability.READ_LIBRARIES)
  @Query(() => Library, { nullable: true })
  async library(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<Library | null> {
    const libraryId = parseId(id);
    const library = libraryId === null ? null : await ctx.loaders.libraryById.load(libraryId);
    if (library) requireLibraryAccess(requireIdentity(ctx.identity), library.id);
    return library;
  }

  @FieldResolver(() => SmtpServer, { nullable: true, description: 'The library\'s SMTP server; empty means the default (R4)' })
  smtpServer(@Root() library: Library, @Ctx() ctx: GatewayContext): Promise<SmtpServer | null> | null {
    return library.smtpServerId === null ? null : ctx.loaders.serverById.load(library.smtpServerId);
  }

  @FieldResolver(() => [Department])
  departments(@Root() library: Library, @Ctx() ctx: GatewayContext): Promise<Department[]> {
    return ctx.loaders.departmentsByLibrary.load(library.id);
  }

  @FieldResolver(() => [SettingValue], { description: 'Values set at this library\'s scope' })
  settings(@Root() library: Library, @Ctx() ctx: GatewayContext): Promise<SettingValue[]> {
    return ctx.loaders.valuesByLibrary.load(library.id);
  }

  @Authorized(Capability.WRITE_LIBRARIES)
  @Mutation(() => Library)
  createLibrary(@Arg('input', () => LibraryInput) input: LibraryInput, @Ctx() ctx: GatewayContext): Promise<Library> {
    return ctx.services.libraries.create(input, requireIdentity(ctx.identity));
  }

  @Authorized(Capability.EDIT_SENDER)
  @Mutation(() => Library, { description: 'A library-admin may change shortName and contactEmail of own libraries' })
  updateLibrary(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => LibraryUpdateInput) input: LibraryUpdateInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion: number | null,
    @Ctx() ctx: GatewayContext,
  ): Promise<Library> {
    return ctx.services.libraries.update(id, input, expectedVersion, requireIdentity(ctx.identity));
  }

  @Authorized(Capability.WRITE_LIBRARIES)
  @Mutation(() => ID)
  deleteLibrary(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<string> {
    return ctx.services.libraries.delete(id, requireIdentity(ctx.identity));
  }
}
