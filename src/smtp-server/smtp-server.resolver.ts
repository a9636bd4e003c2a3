import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Capability, requireIdentity } from '../auth/access';
import { parseId } from '../common/text';
import type { GatewayContext } from '../context';
import { Department } from '../department/department.entity';
import { Library } from '../library/library.entity';
import { SmtpServer } from './smtp-server.entity';
import { SmtpServerInput, SmtpServerUpdateInput } from './smtp-server.input';
import { SmtpTransport } from './smtp-transport.types';

@Resolver(() => SmtpServer)
export class SmtpServerResolver {
  @Authorized(Capability.READ_SERVERS)
  @Query(() => [SmtpServer])
  async smtpServers(@Ctx() ctx: GatewayContext): Promise<SmtpServer[]> {
    const servers = await ctx.loaders.allServers();
    for (const server of servers) ctx.loaders.serverById.prime(server.id, server);
    return servers;
  }

  @Authorized(Capability.READ_SERVERS)
  @Query(() => SmtpServer, { nullable: true })
  smtpServer(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<SmtpServer | null> | null {
    const serverId = parseId(id);
    return serverId === null ? null : ctx.loaders.serverById.load(serverId);
  }

  @FieldResolver(() => SmtpServer, { nullable: true, description: 'The server tried next when sending through this one fails (R11)' })
  nextServer(@Root() server: SmtpServer, @Ctx() ctx: GatewayContext): Promise<SmtpServer | null> | null {
    return server.nextServerId === null ? null : ctx.loaders.serverById.load(server.nextServerId);
  }

  @Authorized(Capability.READ_SERVERS)
  @FieldResolver(() => [SmtpServer], { description: 'Servers whose nextServer is this one' })
  previousServers(@Root() server: SmtpServer, @Ctx() ctx: GatewayContext): Promise<SmtpServer[]> {
    return ctx.loaders.previousServers.load(server.id);
  }

  @Authorized(Capability.READ_SERVERS)
  @FieldResolver(() => [Library])
  usedByLibraries(@Root() server: SmtpServer, @Ctx() ctx: GatewayContext): Promise<Library[]> {
    return ctx.loaders.librariesByServer.load(server.id);
  }

  @Authorized(Capability.READ_SERVERS)
  @FieldResolver(() => [Department])
  usedByDepartments(@Root() server: SmtpServer, @Ctx() ctx: GatewayContext): Promise<Department[]> {
    return ctx.loaders.departmentsByServer.load(server.id);
  }

  @Authorized(Capability.READ_CREDENTIALS)
  @FieldResolver(() => SmtpTransport, { description: 'Decrypted settings for nodemailer.createTransport; service tokens with mail:credentials only' })
  transport(@Root() server: SmtpServer, @Ctx() ctx: GatewayContext): SmtpTransport {
    return ctx.services.smtpServers.transport(server);
  }

  @Authorized(Capability.WRITE_SERVERS)
  @Mutation(() => SmtpServer)
  createSmtpServer(@Arg('input', () => SmtpServerInput) input: SmtpServerInput, @Ctx() ctx: GatewayContext): Promise<SmtpServer> {
    return ctx.services.smtpServers.create(input, requireIdentity(ctx.identity));
  }

  @Authorized(Capability.WRITE_SERVERS)
  @Mutation(() => SmtpServer)
  updateSmtpServer(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => SmtpServerUpdateInput) input: SmtpServerUpdateInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion: number | null,
    @Ctx() ctx: GatewayContext,
  ): Promise<SmtpServer> {
    return ctx.services.smtpServers.update(id, input, expectedVersion, requireIdentity(ctx.identity));
  }

  @Authorized(Capability.WRITE_SERVERS)
  @Mutation(() => ID)
  deleteSmtpServer(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<string> {
    return ctx.services.smtpServers.delete(id, requireIdentity(ctx.identity));
  }
}
