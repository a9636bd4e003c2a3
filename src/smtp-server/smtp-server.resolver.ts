import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Capability } from '../auth/access';
import { CurrentIdentity } from '../auth/current-identity';
import type { Identity } from '../auth/identity';
import { loadById } from '../common/load-or-not-found';
import type { GatewayContext } from '../context';
import { Department } from '../department/department.entity';
import { Library } from '../library/library.entity';
import { visibleDepartments, visibleLibraries, visibleServers } from './server-visibility';
import { loadersFor, refuseHistorical } from '../history/history-loaders';
import { SmtpServer } from './smtp-server.entity';
import { SmtpServerInput, SmtpServerUpdateInput } from './smtp-server.input';
import { smtpServerConnection, SmtpServerConnection } from './smtp-server.list';
import type { Connection } from '../common/connection';
import { DEFAULT_PAGE } from '../common/connection';
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
  @Query(() => SmtpServerConnection, { description: 'A page of SMTP servers by name; search matches the name or the host, ignoring case and accents' })
  smtpServersConnection(
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_PAGE, description: 'At most 500' }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('search', () => String, { nullable: true }) search: string | null,
    @Ctx() ctx: GatewayContext,
  ): Promise<Connection<SmtpServer>> {
    return smtpServerConnection({ ...ctx.services.lists, loaders: ctx.loaders }, { first, after, search });
  }

  @Authorized(Capability.READ_SERVERS)
  @Query(() => SmtpServer, { nullable: true })
  smtpServer(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<SmtpServer | null> {
    return loadById(ctx.loaders.serverById, id);
  }

  @FieldResolver(() => SmtpServer, { nullable: true, description: 'The server tried next when sending through this one fails (R11)' })
  nextServer(@Root() server: SmtpServer, @Ctx() ctx: GatewayContext): Promise<SmtpServer | null> | null {
    return server.nextServerId === null ? null : loadersFor(ctx, server).serverById.load(server.nextServerId);
  }

  @Authorized(Capability.READ_CHAIN_SERVERS)
  @FieldResolver(() => [SmtpServer], { description: "Servers whose nextServer is this one; for a library-admin only those in its own libraries' chains" })
  async previousServers(@Root() server: SmtpServer, @CurrentIdentity() identity: Identity, @Ctx() ctx: GatewayContext): Promise<SmtpServer[]> {
    const loaders = loadersFor(ctx, server);
    return visibleServers(identity, loaders, ctx.services.mailConfig, await loaders.previousServers.load(server.id));
  }

  @Authorized(Capability.READ_CHAIN_SERVERS)
  @FieldResolver(() => [Library], { description: 'For a library-admin only its own libraries' })
  async usedByLibraries(@Root() server: SmtpServer, @CurrentIdentity() identity: Identity, @Ctx() ctx: GatewayContext): Promise<Library[]> {
    return visibleLibraries(identity, await loadersFor(ctx, server).librariesByServer.load(server.id));
  }

  @Authorized(Capability.READ_CHAIN_SERVERS)
  @FieldResolver(() => [Department], { description: 'For a library-admin only departments of its own libraries' })
  async usedByDepartments(@Root() server: SmtpServer, @CurrentIdentity() identity: Identity, @Ctx() ctx: GatewayContext): Promise<Department[]> {
    return visibleDepartments(identity, await loadersFor(ctx, server).departmentsByServer.load(server.id));
  }

  @Authorized(Capability.READ_SERVERS)
  @FieldResolver(() => String, { nullable: true, description: 'Who changed the server last; not shown to library-admins' })
  updatedBy(@Root() server: SmtpServer): string | null {
    return server.updatedBy;
  }

  /** Nullable so that one server's failure (a password that does not decrypt, no scope) stays on that server. */
  @Authorized(Capability.READ_CREDENTIALS)
  @FieldResolver(() => SmtpTransport, {
    nullable: true,
    description: 'Decrypted settings for nodemailer.createTransport; service tokens with mail:credentials only; never for a server read with `at`',
  })
  transport(@Root() server: SmtpServer, @Ctx() ctx: GatewayContext): SmtpTransport {
    refuseHistorical(server);
    return ctx.services.smtpServers.transport(server);
  }

  @Authorized(Capability.WRITE_SERVERS)
  @Mutation(() => SmtpServer)
  createSmtpServer(
    @Arg('input', () => SmtpServerInput) input: SmtpServerInput,
    @CurrentIdentity() identity: Identity,
    @Ctx() ctx: GatewayContext,
  ): Promise<SmtpServer> {
    return ctx.services.smtpServers.create(input, identity);
  }

  @Authorized(Capability.WRITE_SERVERS)
  @Mutation(() => SmtpServer)
  updateSmtpServer(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => SmtpServerUpdateInput) input: SmtpServerUpdateInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion: number | null,
    @CurrentIdentity() identity: Identity,
    @Ctx() ctx: GatewayContext,
  ): Promise<SmtpServer> {
    return ctx.services.smtpServers.update(id, input, expectedVersion, identity);
  }

  @Authorized(Capability.WRITE_SERVERS)
  @Mutation(() => ID)
  deleteSmtpServer(@Arg('id', () => ID) id: string, @CurrentIdentity() identity: Identity, @Ctx() ctx: GatewayContext): Promise<string> {
    return ctx.services.smtpServers.delete(id, identity);
  }
}
