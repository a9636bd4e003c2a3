import { Arg, Authorized, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { Capability } from '../auth/access';
import { CurrentIdentity } from '../auth/current-identity';
import type { Identity } from '../auth/identity';
import { loadOrNotFound } from '../common/load-or-not-found';
import type { GatewayContext } from '../context';
import { SendTestMailInput, SmtpCheck, TestMailResult } from './test-mail.types';

@Resolver()
export class TestMailResolver {
  @Authorized(Capability.SEND_TEST_MAIL)
  @Mutation(() => TestMailResult, { description: 'Sends a real test message through the resolved chain; a failed delivery is ok: false, not an error' })
  sendTestMail(
    @Arg('input', () => SendTestMailInput) input: SendTestMailInput,
    @CurrentIdentity() identity: Identity,
    @Ctx() ctx: GatewayContext,
  ): Promise<TestMailResult> {
    return ctx.services.testMail.send(ctx.loaders, identity, input);
  }

  @Authorized(Capability.VERIFY_SERVERS)
  @Mutation(() => SmtpCheck, { description: 'Connects, greets, secures and logs in to one server, then quits without sending' })
  async verifySmtpServer(@Arg('id', () => ID) id: string, @CurrentIdentity() identity: Identity, @Ctx() ctx: GatewayContext): Promise<SmtpCheck> {
    const server = await loadOrNotFound(ctx.loaders.serverById, 'SmtpServer', id);
    return ctx.services.testMail.verify(server, identity);
  }
}
