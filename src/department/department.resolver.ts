import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Capability, requireLibraryScope, scopeOf } from '../auth/access';
import type { Connection } from '../common/connection';
import { parseId } from '../common/text';
import { CurrentIdentity } from '../auth/current-identity';
import type { Identity } from '../auth/identity';
import { loadById, loadOrNotFound } from '../common/load-or-not-found';
import type { GatewayContext } from '../context';
import { Library } from '../library/library.entity';
import { SettingValue } from '../settings/setting-value.entity';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { loadersFor } from '../history/history-loaders';
import { Department } from './department.entity';
import { DepartmentsPageArgs } from './department.args';
import { DepartmentInput, DepartmentUpdateInput } from './department.input';
import { departmentConnection, DepartmentConnection } from './department.list';

@Resolver(() => Department)
export class DepartmentResolver {
  @Authorized(Capability.READ_LIBRARIES)
  @Query(() => Department, { nullable: true, description: "Null for an unknown id; outside a library-admin's own libraries FORBIDDEN, known or not" })
  async department(@Arg('id', () => ID) id: string, @CurrentIdentity() identity: Identity, @Ctx() ctx: GatewayContext): Promise<Department | null> {
    const department = await loadById(ctx.loaders.departmentById, id);
    requireLibraryScope(identity, Capability.READ_LIBRARIES, department?.libraryId ?? null);
    return department;
  }

  @Authorized(Capability.READ_LIBRARIES)
  @Query(() => DepartmentConnection, { description: "A page of departments by name; a library-admin sees, and counts, own libraries' only" })
  departmentsConnection(
    @Args(() => DepartmentsPageArgs) args: DepartmentsPageArgs,
    @CurrentIdentity() identity: Identity,
    @Ctx() ctx: GatewayContext,
  ): Promise<Connection<Department>> {
    let scope = scopeOf(identity, Capability.READ_LIBRARIES);
    if (args.libraryId !== null && args.libraryId !== undefined) {
      const libraryId = parseId(args.libraryId);
      requireLibraryScope(identity, Capability.READ_LIBRARIES, libraryId);
      scope = new Set([libraryId as number]);
    }
    return departmentConnection({ ...ctx.services.lists, loaders: ctx.loaders }, scope, args);
  }

  @FieldResolver(() => Library)
  library(@Root() department: Department, @Ctx() ctx: GatewayContext): Promise<Library> {
    return loadOrNotFound(loadersFor(ctx, department).libraryById, 'Library', department.libraryId);
  }

  @FieldResolver(() => SmtpServer, { nullable: true, description: "Own SMTP server; empty means the library's (R5)" })
  smtpServer(@Root() department: Department, @Ctx() ctx: GatewayContext): Promise<SmtpServer | null> | null {
    return department.smtpServerId === null ? null : loadersFor(ctx, department).serverById.load(department.smtpServerId);
  }

  @FieldResolver(() => [SettingValue], { description: "Values set at this department's scope" })
  settings(@Root() department: Department, @Ctx() ctx: GatewayContext): Promise<SettingValue[]> {
    return loadersFor(ctx, department).valuesByDepartment.load(department.id);
  }

  @Authorized(Capability.WRITE_LIBRARIES)
  @Mutation(() => Department)
  createDepartment(
    @Arg('input', () => DepartmentInput) input: DepartmentInput,
    @CurrentIdentity() identity: Identity,
    @Ctx() ctx: GatewayContext,
  ): Promise<Department> {
    return ctx.services.departments.create(input, identity);
  }

  @Authorized(Capability.EDIT_SENDER)
  @Mutation(() => Department, { description: 'A library-admin may change the email of departments of own libraries' })
  updateDepartment(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => DepartmentUpdateInput) input: DepartmentUpdateInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion: number | null,
    @CurrentIdentity() identity: Identity,
    @Ctx() ctx: GatewayContext,
  ): Promise<Department> {
    return ctx.services.departments.update(id, input, expectedVersion, identity);
  }

  @Authorized(Capability.WRITE_LIBRARIES)
  @Mutation(() => ID)
  deleteDepartment(@Arg('id', () => ID) id: string, @CurrentIdentity() identity: Identity, @Ctx() ctx: GatewayContext): Promise<string> {
    return ctx.services.departments.delete(id, identity);
  }
}
