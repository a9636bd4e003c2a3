import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { MailPurpose } from './mail.enums';
import { EffectiveMailConfig, MailSender } from './mail-config.types';
import { MailErrorCode } from './transport/classify-error';

export enum SmtpCheckStage {
  CONNECT = 'CONNECT',
  GREETING = 'GREETING',
  TLS = 'TLS',
  AUTH = 'AUTH',
  DONE = 'DONE',
}

registerEnumType(MailErrorCode, { name: 'MailErrorCode', description: 'Why sending through a server failed (stable codes, D11)' });
registerEnumType(SmtpCheckStage, { name: 'SmtpCheckStage', description: 'The last stage of an SMTP session that succeeded' });

@InputType()
export class SendTestMailInput {
  @Field(() => ID)
  libraryId: string;

  @Field(() => ID, { nullable: true })
  departmentId?: string | null;

  @Field(() => MailPurpose, { nullable: true, defaultValue: MailPurpose.GENERAL })
  purpose?: MailPurpose | null;

  @Field()
  to: string;

  @Field(() => String, { nullable: true })
  subject?: string | null;

  @Field(() => String, { nullable: true, description: "Added below the gateway's own description of the test" })
  text?: string | null;
}

@ObjectType()
export class DeliveryAttempt {
  @Field(() => SmtpServer)
  server: SmtpServer;

  @Field()
  ok: boolean;

  @Field(() => MailErrorCode, { nullable: true })
  errorCode: MailErrorCode | null;

  @Field(() => Int, { nullable: true, description: 'SMTP reply code, when there was one' })
  responseCode: number | null;

  @Field(() => String, { nullable: true, description: 'RFC 3463 enhanced status of the reply, e.g. 5.1.1' })
  enhancedStatus: string | null;

  @Field(() => String, { nullable: true, description: 'Safe summary, never a secret; server text only from SMTP replies outside AUTH' })
  message: string | null;

  @Field(() => Int)
  durationMs: number;
}

@ObjectType()
export class TestMailResult {
  @Field()
  ok: boolean;

  @Field(() => String, { nullable: true })
  messageId: string | null;

  @Field(() => SmtpServer, { nullable: true })
  deliveredBy: SmtpServer | null;

  @Field(() => MailSender, { nullable: true })
  sender: MailSender | null;

  @Field()
  recipient: string;

  @Field(() => [DeliveryAttempt])
  attempts: DeliveryAttempt[];

  @Field(() => EffectiveMailConfig)
  config: EffectiveMailConfig;
}

@ObjectType()
export class SmtpCheck {
  @Field()
  ok: boolean;

  @Field(() => SmtpServer)
  server: SmtpServer;

  @Field(() => SmtpCheckStage)
  reachedStage: SmtpCheckStage;

  @Field(() => MailErrorCode, { nullable: true })
  errorCode: MailErrorCode | null;

  @Field(() => Int, { nullable: true, description: 'SMTP reply code, when there was one' })
  responseCode: number | null;

  @Field(() => String, { nullable: true, description: 'RFC 3463 enhanced status of the reply, e.g. 5.7.8' })
  enhancedStatus: string | null;

  @Field(() => String, { nullable: true, description: 'Safe summary, never a secret; server text only from SMTP replies outside AUTH' })
  message: string | null;

  @Field(() => Int)
  durationMs: number;

  @Field(() => Date)
  checkedAt: Date;
}
