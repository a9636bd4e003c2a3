import { Arg, Authorized, Ctx, Int, Mutation, Resolver } from 'type-graphql';
import { Capability } from '../auth/access';
import { CurrentIdentity } from '../auth/current-identity';
import type { Identity } from '../auth/identity';
import type { GatewayContext } from '../context';
import { RevertResult } from './revert.types';

@Resolver()
export class RevertResolver {
  @Authorized(Capability.REVERT_CHANGES)
  @Mutation(() => RevertResult, {
    description:
      'Undoes one configuration revision as a new revision: every row it changed goes back to its state before it. Refused (CONFLICT) when a row has changed since',
  })
  revertChange(
    @Arg('revision', () => Int, { description: 'The revision to undo, as an audit entry shows it' }) revision: number,
    @CurrentIdentity() identity: Identity,
    @Ctx() ctx: GatewayContext,
  ): Promise<RevertResult> {
    return ctx.services.revert.revert(revision, identity);
  }
}
