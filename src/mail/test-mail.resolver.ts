import { Arg, Authorized, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { Capability, requireIdentity } from '../auth/access';
import { NotFoundError } from '../common/errors';
import { parseId } from '../common/text';
import type { GatewayContext } from '../context';
import { SendTestMailInput, SmtpCheck, TestMailResult } from './test-mail.types';

@Resolver()
export class TestMailResolver {
  @Authorized(Capability.SEND_TEST_MAIL)
  @Mutation(() => TestMailResult, { description: 'Sends a real test message through the resolved chain; a failed delivery is ok: false, not an error' })
  sendTestMail(@Arg('input', () => SendTestMailInput) input: SendTestMailInput, @Ctx() ctx: GatewayContext): Promise<TestMailResult> {
    return ctx.services.testMail.send(ctx.loaders, requireIdentity(ctx.identity), input);
  }

  @Authorized(Capability.VERIFY_SERVERS)
  @Mutation(() => SmtpCheck, { description: 'Connects, greets, secures and logs in to one server, then quits without sending' })
  async verifySmtpServer(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<SmtpCheck> {
    const serverId = parseId(id);
    const server = serverId === null ? null : await ctx.loaders.serverById.load(serverId);
    if (!server) throw new NotFoundError('SmtpServer', id);
    return ctx.services.testMail.verify(server, requireIdentity(ctx.identity));
  }
}
