import { GraphQLError } from 'graphql';
import { Arg, Args, Authorized, ID, Resolver, Root, Subscription } from 'type-graphql';
import { Capability, requireIdentity } from '../auth/access';
import { loadScopeTarget } from '../auth/scope-target';
import type { GatewayContext } from '../context';
import { MailTargetArgs } from '../mail/mail-config.args';
import { MailPurpose } from '../mail/mail.enums';
import { EffectiveMailConfig } from '../mail/mail-config.types';
import type { MailConfigEvent } from './mail-config-hub';

interface MailConfigChangedArgs {
  libraryId: string;
  departmentId?: string | null;
  purpose: MailPurpose;
}

/**
 * The source stream of a subscription, checked as the `effectiveMailConfig` query is: the role
 * matrix and the library scope first (a foreign and an unknown id are the same FORBIDDEN), then
 * NOT_FOUND and a department of another library.
 */
async function subscribeToMailConfig(ctx: GatewayContext, args: MailConfigChangedArgs): Promise<AsyncIterable<MailConfigEvent>> {
  const identity = requireIdentity(ctx.identity);
  const { library, department } = await loadScopeTarget(ctx.loaders, identity, Capability.READ_EFFECTIVE, args.libraryId, args.departmentId);
  return ctx.services.mailConfigChanges.subscribe({ libraryId: library.id, departmentId: department?.id ?? null, purpose: args.purpose }, identity.sub);
}

@Resolver()
export class MailConfigChangedResolver {
  @Authorized(Capability.READ_EFFECTIVE)
  @Subscription(() => EffectiveMailConfig, {
    description: 'The current configuration at once, then each time its servers, sender or problems change',
    subscribe: ({ args, context }) => subscribeToMailConfig(context as GatewayContext, args as MailConfigChangedArgs),
  })
  effectiveMailConfigChanged(
    @Root() event: MailConfigEvent | undefined,
    @Arg('libraryId', () => ID) _libraryId: string,
    @Args(() => MailTargetArgs) _target: MailTargetArgs,
  ): EffectiveMailConfig {
    // Over HTTP the operation is executed once, with no event: there is no stream to answer from.
    if (!event) throw new GraphQLError('Subscriptions are served over WebSocket (graphql-ws protocol) at /graphql', { extensions: { code: 'BAD_REQUEST' } });
    if ('ended' in event) throw event.ended;
    return event.config;
  }
}
