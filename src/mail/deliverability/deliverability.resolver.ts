import { Arg, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { Capability } from '../../auth/access';
import { BadInputError } from '../../common/errors';
import { loadById, notFound } from '../../common/load-or-not-found';
import type { GatewayContext } from '../../context';
import { EffectiveMailConfig } from '../mail-config.types';
import { TestMailResult } from '../test-mail.types';
import { DeliverabilityReport } from './deliverability.types';

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
    // Loaded together so the loader batches them into one query; the first unknown id of the list is reported.
    const found = await Promise.all(serverIds.map((raw) => loadById(ctx.loaders.serverById, raw)));
    const servers = found.map((server, i) => server ?? notFound('SmtpServer', serverIds[i]));
    return ctx.services.deliverability.check(sender, servers, ctx.dnsBudget);
  }
}
