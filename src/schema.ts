import { GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema, getMetadataStorage, PubSub } from 'type-graphql';
import { AuditResolver } from './audit/audit.resolver';
import { authChecker } from './auth/access';
import { DepartmentResolver } from './department/department.resolver';
import { MailHealthResolver, SmtpServerHealthHistoryResolver, SmtpServerHealthResolver } from './health/health.resolver';
import { RevertResolver } from './history/revert.resolver';
import { LibraryResolver } from './library/library.resolver';
import { DepartmentMailConfigResolver, LibraryMailConfigResolver, MailConfigResolver } from './mail/mail-config.resolver';
import { CheckSenderDomainResolver, EffectiveDeliverabilityResolver, TestMailDeliverabilityResolver } from './mail/deliverability/deliverability.resolver';
import { TestMailResolver } from './mail/test-mail.resolver';
import { SettingsResolver } from './settings/settings.resolver';
import { SmtpServerResolver } from './smtp-server/smtp-server.resolver';
import { MailConfigChangedResolver } from './subscriptions/mail-config-changed.resolver';

export const resolvers = [
  SmtpServerResolver,
  LibraryResolver,
  DepartmentResolver,
  SettingsResolver,
  MailConfigResolver,
  LibraryMailConfigResolver,
  DepartmentMailConfigResolver,
  AuditResolver,
  TestMailResolver,
  EffectiveDeliverabilityResolver,
  TestMailDeliverabilityResolver,
  CheckSenderDomainResolver,
  SmtpServerHealthResolver,
  SmtpServerHealthHistoryResolver,
  MailHealthResolver,
  RevertResolver,
  MailConfigChangedResolver,
] as const;

/**
 * TypeGraphQL wants a PubSub once a schema has subscriptions, but ours bring their own source
 * streams (`subscribe`); no topic exists to publish to or subscribe by.
 */
const NO_TOPICS: PubSub = {
  publish() {
    throw new Error('subscriptions here have no topics');
  },
  subscribe() {
    throw new Error('subscriptions here have no topics');
  },
};

export function buildGatewaySchema(): Promise<GraphQLSchema> {
  // Parameter decorators run last to first; in index order the schema lists each field's
  // arguments as its resolver (and API.md) declares them.
  getMetadataStorage().params.sort((a, b) => a.index - b.index);
  return buildSchema({
    resolvers,
    authChecker,
    authMode: 'error',
    pubSub: NO_TOPICS,
    validate: false,
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
  });
}
