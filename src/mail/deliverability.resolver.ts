import { Arg, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { Capability } from '../auth/access';
import { BadInputError, NotFoundError } from '../common/errors';
import { parseId } from '../common/text';
import type { GatewayContext } from '../context';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { DeliverabilityReport } from './deliverability.types';
import { EffectiveMailConfig } from './mail-config.types';
import { TestMailResult } from './test-mail.types';

const MAX_SERVERS = 20;

@Resolver(() => EffectiveMailConfig)
export class EffectiveDeliverabilityResolver {
  @FieldResolver(() => DeliverabilityReport, { description: 'SPF and DMARC of the sender domain for every server of the chain; computed only when asked for' })
  deliverability(@Root() config: EffectiveMailConfig, @Ctx() ctx: GatewayContext): Promise<DeliverabilityReport> {
    return ctx.services.deliverability.check(config.sender?.address ?? '', config.servers, ctx.dnsBudget);
  }
}

@Resolver(() => TestMailResult)
export class TestMailDeliverabilityResolver {
  @FieldResolver(() => DeliverabilityReport, { description: "The sender domain's SPF/DMARC findings; checked after sending, never blocking it" })
  deliverability(@Root() result: TestMailResult, @Ctx() ctx: GatewayContext): Promise<DeliverabilityReport> {
    return ctx.services.deliverability.check(result.sender?.address ?? '', result.config.servers, ctx.dnsBudget);
  }
}

@Resolver()
export class CheckSenderDomainResolver {
  @Authorized(Capability.READ_SERVERS)
  @Query(() => DeliverabilityReport, { description: 'SPF and DMARC for a sender address and any servers, e.g. before changing a configuration' })
  async checkSenderDomain(
    @Arg('sender') sender: string,
    @Arg('serverIds', () => [ID]) serverIds: string[],
    @Ctx() ctx: GatewayContext,
  ): Promise<DeliverabilityReport> {
    if (serverIds.length > MAX_SERVERS) throw new BadInputError('serverIds', `at most ${MAX_SERVERS} servers can be checked at once`);
    const servers: SmtpServer[] = [];
    for (const raw of serverIds) {
      const id = parseId(raw);
      const server = id === null ? null : await ctx.loaders.serverById.load(id);
      if (!server) throw new NotFoundError('SmtpServer', raw);
      servers.push(server);
    }
    return ctx.services.deliverability.check(sender, servers, ctx.dnsBudget);
  }
}
