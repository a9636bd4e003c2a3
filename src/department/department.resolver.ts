import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Capability, requireIdentity, requireLibraryScope } from '../auth/access';
import { parseId } from '../common/text';
import type { GatewayContext } from '../context';
import { Library } from '../library/library.entity';
import { SettingValue } from '../settings/setting-value.entity';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { Department } from './department.entity';
import { DepartmentInput, DepartmentUpdateInput } from './department.input';

@Resolver(() => Department)
export class DepartmentResolver {
  @Authorized(Capability.READ_LIBRARIES)
  @Query(() => Department, { nullable: true, description: "Null for an unknown id; outside a library-admin's own libraries FORBIDDEN, known or not" })
  async department(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<Department | null> {
    const departmentId = parseId(id);
    const department = departmentId === null ? null : await ctx.loaders.departmentById.load(departmentId);
    requireLibraryScope(requireIdentity(ctx.identity), Capability.READ_LIBRARIES, department?.libraryId ?? null);
    return department;
  }

  @FieldResolver(() => Library)
  async library(@Root() department: Department, @Ctx() ctx: GatewayContext): Promise<Library> {
    return (await ctx.loaders.libraryById.load(department.libraryId)) as Library;
  }

  @FieldResolver(() => SmtpServer, { nullable: true, description: "Own SMTP server; empty means the library's (R5)" })
  smtpServer(@Root() department: Department, @Ctx() ctx: GatewayContext): Promise<SmtpServer | null> | null {
    return department.smtpServerId === null ? null : ctx.loaders.serverById.load(department.smtpServerId);
  }

  @FieldResolver(() => [SettingValue], { description: "Values set at this department's scope" })
  settings(@Root() department: Department, @Ctx() ctx: GatewayContext): Promise<SettingValue[]> {
    return ctx.loaders.valuesByDepartment.load(department.id);
  }

  @Authorized(Capability.WRITE_LIBRARIES)
  @Mutation(() => Department)
  createDepartment(@Arg('input', () => DepartmentInput) input: DepartmentInput, @Ctx() ctx: GatewayContext): Promise<Department> {
    return ctx.services.departments.create(input, requireIdentity(ctx.identity));
  }

  @Authorized(Capability.EDIT_SENDER)
  @Mutation(() => Department, { description: 'A library-admin may change the email of departments of own libraries' })
  updateDepartment(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => DepartmentUpdateInput) input: DepartmentUpdateInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion: number | null,
    @Ctx() ctx: GatewayContext,
  ): Promise<Department> {
    return ctx.services.departments.update(id, input, expectedVersion, requireIdentity(ctx.identity));
  }

  @Authorized(Capability.WRITE_LIBRARIES)
  @Mutation(() => ID)
  deleteDepartment(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<string> {
    return ctx.services.departments.delete(id, requireIdentity(ctx.identity));
  }
}
