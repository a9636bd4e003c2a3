import { Field, Int, ObjectType } from 'type-graphql';
import { SmtpServer } from '../../smtp-server/smtp-server.entity';
import { ProblemSeverity } from '../mail.enums';
import { SpfResult } from './deliverability.enums';

@ObjectType()
export class SpfServerCheck {
  @Field(() => SmtpServer)
  server: SmtpServer;

  @Field(() => [String], { description: "Every IPv4 and IPv6 address of the server's host" })
  addresses: string[];

  @Field(() => SpfResult, { description: 'The worst result over the addresses' })
  result: SpfResult;

  @Field()
  explanation: string;
}

@ObjectType()
export class DeliverabilityFinding {
  @Field(() => ProblemSeverity)
  severity: ProblemSeverity;

  @Field()
  code: string;

  @Field()
  message: string;
}

@ObjectType({ description: 'Will mail from this sender through these servers pass SPF and DMARC? (R12, D13)' })
export class DeliverabilityReport {
  @Field()
  domain: string;

  @Field(() => String, { nullable: true })
  spfRecord: string | null;

  @Field(() => Int, { nullable: true, description: 'DNS lookups the record needs; more than 10 is a permanent error' })
  spfLookups: number | null;

  @Field(() => [SpfServerCheck])
  servers: SpfServerCheck[];

  @Field(() => String, { nullable: true })
  dmarcRecord: string | null;

  @Field(() => String, { nullable: true })
  dmarcPolicy: string | null;

  @Field(() => String, { nullable: true, description: 'A record that authorises every server of the chain, when the current one does not' })
  suggestedSpfRecord: string | null;

  @Field(() => [DeliverabilityFinding])
  findings: DeliverabilityFinding[];

  @Field()
  checkedAt: Date;
}
