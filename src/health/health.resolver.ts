import { Arg, Args, Authorized, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { Capability } from '../auth/access';
import { CurrentIdentity } from '../auth/current-identity';
import type { Identity } from '../auth/identity';
import { BadInputError } from '../common/errors';
import type { GatewayContext } from '../context';
import { SmtpCheck } from '../mail/test-mail.types';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { KEPT_CHECKS } from './health.store';
import { SmtpServerHealth, toSmtpCheck } from './health.types';
import { MailHealthArgs, MailHealthConnection } from './mail-health.types';

@Resolver(() => SmtpServer)
export class SmtpServerHealthResolver {
  // A library-admin sees the health of the servers in its own chains, like their host and port.
  @Authorized(Capability.READ_CHAIN_SERVERS)
  @FieldResolver(() => SmtpServerHealth, { description: 'What the scheduled checks and verifySmtpServer found' })
  health(@Root() server: SmtpServer, @Ctx() ctx: GatewayContext): SmtpServerHealth {
    const derived = ctx.services.health.health(server.id);
    return {
      status: derived.status,
      checkedAt: derived.checkedAt === null ? null : new Date(derived.checkedAt),
      lastOkAt: derived.lastOkAt === null ? null : new Date(derived.lastOkAt),
      consecutiveFailures: derived.consecutiveFailures,
      lastError: derived.lastError ? toSmtpCheck(derived.lastError, server) : null,
      server,
      records: ctx.services.health.history(server.id),
    };
  }
}

@Resolver(() => SmtpServerHealth)
export class SmtpServerHealthHistoryResolver {
  @FieldResolver(() => [SmtpCheck], { description: `The latest checks, newest first (at most ${KEPT_CHECKS} are kept)` })
  history(@Root() health: SmtpServerHealth, @Arg('last', () => Int, { nullable: true, defaultValue: 20 }) last: number | null): SmtpCheck[] {
    last ??= 20;
    if (!Number.isInteger(last) || last < 0 || last > KEPT_CHECKS) throw new BadInputError('last', `last must be between 0 and ${KEPT_CHECKS}`);
    return health.records.slice(0, last).map((record) => toSmtpCheck(record, health.server));
  }
}

@Resolver()
export class MailHealthResolver {
  @Authorized(Capability.READ_MAIL_HEALTH)
  @Query(() => MailHealthConnection, { description: 'Every library and department, per purpose, whose mail configuration has problems; worst first' })
  mailHealthOverview(
    @Args(() => MailHealthArgs) args: MailHealthArgs,
    @CurrentIdentity() identity: Identity,
    @Ctx() ctx: GatewayContext,
  ): Promise<MailHealthConnection> {
    return ctx.services.mailHealth.overview(ctx.loaders, identity, args);
  }
}
