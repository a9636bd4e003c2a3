import { Field, Int, ObjectType } from 'type-graphql';
import { ResolutionStep } from '../common/resolution.types';
import { Department } from '../department/department.entity';
import { Library } from '../library/library.entity';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { MailPurpose, ProblemSeverity } from './mail.enums';

@ObjectType()
export class MailSender {
  @Field()
  address: string;

  @Field(() => String, { nullable: true })
  name: string | null;

  @Field({ description: 'The From header value (RFC 5322), e.g. "KNIH-XYZ" <knihovna@xyz.cz>' })
  formatted: string;
}

@ObjectType()
export class ConfigProblem {
  @Field({
    description:
      'NO_SMTP_SERVER, NO_SENDER, CHAIN_CYCLE, CHAIN_TOO_LONG, TIMEOUT_BELOW_RECOMMENDED, SSL_AND_TLS_BOTH_SET, AUTH_WITHOUT_CREDENTIALS, CREDENTIALS_IN_CLEARTEXT, SERVER_DOWN',
  })
  code: string;

  @Field(() => ProblemSeverity)
  severity: ProblemSeverity;

  @Field()
  message: string;

  @Field(() => SmtpServer, { nullable: true })
  server: SmtpServer | null;
}

@ObjectType({ description: 'Which servers are tried in which order and who the sender is, and why (D4-D8)' })
export class EffectiveMailConfig {
  @Field(() => MailPurpose)
  purpose: MailPurpose;

  @Field(() => Library)
  library: Library;

  @Field(() => Department, { nullable: true })
  department: Department | null;

  @Field(() => [SmtpServer], { description: 'The chain, in the order it is tried (D4, D5)' })
  servers: SmtpServer[];

  @Field(() => MailSender, { nullable: true, description: 'Null only with the NO_SENDER problem' })
  sender: MailSender | null;

  @Field(() => [ResolutionStep])
  trace: ResolutionStep[];

  @Field(() => [ConfigProblem])
  problems: ConfigProblem[];

  @Field({ description: 'True when the database could not be reached and the answer comes from the last known configuration' })
  stale: boolean;

  @Field(() => Int, { description: 'The configuration revision it was resolved at' })
  revision: number;

  @Field(() => Date, { nullable: true, description: 'The moment asked for with `at`; null for the current configuration' })
  asOf: Date | null;
}
