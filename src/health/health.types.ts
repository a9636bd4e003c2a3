import { Field, Int, ObjectType } from 'type-graphql';
import { SmtpCheck } from '../mail/test-mail.types';
import type { SmtpServer } from '../smtp-server/smtp-server.entity';
import { CheckRecord } from './derive-health';
import { ServerHealthStatus } from './health.enums';

@ObjectType({ description: 'What the scheduled checks and verifySmtpServer found; not configuration, so no revision changes with it' })
export class SmtpServerHealth {
  @Field(() => ServerHealthStatus)
  status: ServerHealthStatus;

  @Field(() => Date, { nullable: true })
  checkedAt: Date | null;

  @Field(() => Date, { nullable: true })
  lastOkAt: Date | null;

  @Field(() => Int)
  consecutiveFailures: number;

  @Field(() => SmtpCheck, { nullable: true })
  lastError: SmtpCheck | null;

  /** For the history field: the server and its kept checks, newest first. */
  server: SmtpServer;
  records: readonly CheckRecord[];
}

export function toSmtpCheck(record: CheckRecord, server: SmtpServer): SmtpCheck {
  return {
    ok: record.ok,
    server,
    reachedStage: record.reachedStage as SmtpCheck['reachedStage'],
    errorCode: record.errorCode as SmtpCheck['errorCode'],
    responseCode: record.responseCode,
    enhancedStatus: record.enhancedStatus,
    message: record.message,
    durationMs: record.durationMs,
    checkedAt: new Date(record.checkedAt),
  };
}
