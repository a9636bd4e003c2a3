import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Capability, inScope, requireLibraryScope, scopeOf } from '../auth/access';
import { CurrentIdentity } from '../auth/current-identity';
import type { Identity } from '../auth/identity';
import { loadById } from '../common/load-or-not-found';
import { parseId } from '../common/text';
import type { GatewayContext } from '../context';
import type { Connection } from '../common/connection';
import { Department } from '../department/department.entity';
import { departmentConnection, DepartmentConnection } from '../department/department.list';
import { LibraryDepartmentsPageArgs } from '../department/department.args';
import { LibraryPageArgs } from './library.args';
import { libraryConnection, LibraryConnection } from './library.list';
import { SettingValue } from '../settings/setting-value.entity';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { loadersFor } from '../history/history-loaders';
import { Library } from './library.entity';
import { LibraryInput, LibraryUpdateInput } from './library.input';

@Resolver(() => Library)
export class LibraryResolver {
  @Authorized(Capability.READ_LIBRARIES)
  @Query(() => [Library], { description: 'All libraries; a library-admin sees own libraries only' })
  async libraries(@CurrentIdentity() identity: Identity, @Ctx() ctx: GatewayContext): Promise<Library[]> {
    const scope = scopeOf(identity, Capability.READ_LIBRARIES);
    const libraries = (await ctx.loaders.allLibraries()).filter((library) => inScope(scope, library.id));
    for (const library of libraries) ctx.loaders.libraryById.prime(library.id, library);
    return libraries;
  }

  @Authorized(Capability.READ_LIBRARIES)
  @Query(() => LibraryConnection, { description: 'A page of libraries by name; a library-admin sees, and counts, own libraries only' })
  librariesConnection(
    @Args(() => LibraryPageArgs) args: LibraryPageArgs,
    @CurrentIdentity() identity: Identity,
    @Ctx() ctx: GatewayContext,
  ): Promise<Connection<Library>> {
    return libraryConnection({ ...ctx.services.lists, loaders: ctx.loaders }, scopeOf(identity, Capability.READ_LIBRARIES), args);
  }

  @Authorized(Capability.READ_LIBRARIES)
  @Query(() => Library, { nullable: true, description: "Null for an unknown id; outside a library-admin's own libraries FORBIDDEN, known or not" })
  library(@Arg('id', () => ID) id: string, @CurrentIdentity() identity: Identity, @Ctx() ctx: GatewayContext): Promise<Library | null> {
    requireLibraryScope(identity, Capability.READ_LIBRARIES, parseId(id));
    return loadById(ctx.loaders.libraryById, id);
  }

  @FieldResolver(() => SmtpServer, { nullable: true, description: "The library's SMTP server; empty means the default (R4)" })
  smtpServer(@Root() library: Library, @Ctx() ctx: GatewayContext): Promise<SmtpServer | null> | null {
    return library.smtpServerId === null ? null : loadersFor(ctx, library).serverById.load(library.smtpServerId);
  }

  @FieldResolver(() => [Department])
  departments(@Root() library: Library, @Ctx() ctx: GatewayContext): Promise<Department[]> {
    return loadersFor(ctx, library).departmentsByLibrary.load(library.id);
  }

  @FieldResolver(() => DepartmentConnection, { description: "A page of this library's departments by name" })
  departmentsConnection(
    @Root() library: Library,
    @Args(() => LibraryDepartmentsPageArgs) args: LibraryDepartmentsPageArgs,
    @Ctx() ctx: GatewayContext,
  ): Promise<Connection<Department>> {
    return departmentConnection({ ...ctx.services.lists, loaders: loadersFor(ctx, library) }, new Set([library.id]), args);
  }

  @FieldResolver(() => [SettingValue], { description: "Values set at this library's scope" })
  settings(@Root() library: Library, @Ctx() ctx: GatewayContext): Promise<SettingValue[]> {
    return loadersFor(ctx, library).valuesByLibrary.load(library.id);
  }

  @Authorized(Capability.WRITE_LIBRARIES)
  @Mutation(() => Library)
  createLibrary(@Arg('input', () => LibraryInput) input: LibraryInput, @CurrentIdentity() identity: Identity, @Ctx() ctx: GatewayContext): Promise<Library> {
    return ctx.services.libraries.create(input, identity);
  }

  @Authorized(Capability.EDIT_SENDER)
  @Mutation(() => Library, { description: 'A library-admin may change shortName and contactEmail of own libraries' })
  updateLibrary(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => LibraryUpdateInput) input: LibraryUpdateInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion: number | null,
    @CurrentIdentity() identity: Identity,
    @Ctx() ctx: GatewayContext,
  ): Promise<Library> {
    return ctx.services.libraries.update(id, input, expectedVersion, identity);
  }

  @Authorized(Capability.WRITE_LIBRARIES)
  @Mutation(() => ID)
  deleteLibrary(@Arg('id', () => ID) id: string, @CurrentIdentity() identity: Identity, @Ctx() ctx: GatewayContext): Promise<string> {
    return ctx.services.libraries.delete(id, identity);
  }
}
