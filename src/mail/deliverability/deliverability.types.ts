import { Field, Int, ObjectType } from 'type-graphql';
import { SmtpServer } from '../../smtp-server/smtp-server.entity';
import { ProblemSeverity } from '../mail.enums';
import { DkimKeyResult, SpfResult } from './deliverability.enums';

@ObjectType({ description: 'Forward-confirmed reverse DNS of one sending address, which Gmail requires' })
export class ReverseDnsCheck {
  @Field()
  address: string;

  @Field(() => String, { nullable: true, description: 'The PTR name that confirmed, else the first one published' })
  ptr: string | null;

  @Field({ description: 'The PTR name resolves (A/AAAA) back to the same address' })
  forwardConfirmed: boolean;
}

@ObjectType({ description: 'A DKIM key published for a selector a server signs with; the gateway sees keys, not signatures' })
export class DkimKeyCheck {
  @Field(() => SmtpServer)
  server: SmtpServer;

  @Field()
  selector: string;

  @Field({ description: 'Where the key was looked up (found): the sender domain, or its organisational domain' })
  domain: string;

  @Field(() => String, { nullable: true })
  record: string | null;

  @Field(() => String, { nullable: true, description: 'rsa or ed25519' })
  keyType: string | null;

  @Field(() => Int, { nullable: true })
  keyBits: number | null;

  @Field(() => DkimKeyResult)
  result: DkimKeyResult;
}

@ObjectType()
export class GmailRequirement {
  @Field({ description: 'SPF_OR_DKIM, REVERSE_DNS, SPF_AND_DKIM, DMARC_RECORD, DMARC_ALIGNED' })
  code: string;

  @Field()
  met: boolean;

  @Field({ description: 'Required only of senders of more than 5,000 messages a day' })
  bulkOnly: boolean;

  @Field({ description: "What is required and, when unmet, what whom must change; fit to forward to the library's IT" })
  message: string;
}

@ObjectType({ description: "Google's sender guidelines, judged for every server of the chain (the first and every failover)" })
export class GmailReadiness {
  @Field({ description: 'Every requirement for all senders is met' })
  ready: boolean;

  @Field({ description: 'Every requirement is met, those for bulk senders included' })
  bulkReady: boolean;

  @Field(() => [GmailRequirement])
  requirements: GmailRequirement[];
}

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

  @Field(() => [ReverseDnsCheck], { description: 'Reverse DNS of every address of the server' })
  reverseDns: ReverseDnsCheck[];
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

  @Field(() => [DkimKeyCheck], { description: 'The DKIM key of every selector of every server, under the sender domain' })
  dkim: DkimKeyCheck[];

  @Field(() => GmailReadiness, { description: 'Will Gmail (and Yahoo, Microsoft) take this mail, and if not, what must whom change' })
  gmail: GmailReadiness;

  @Field(() => [DeliverabilityFinding])
  findings: DeliverabilityFinding[];

  @Field()
  checkedAt: Date;
}
