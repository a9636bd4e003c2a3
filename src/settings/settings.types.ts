import { Field, ObjectType } from 'type-graphql';
import { ResolutionStep } from '../common/resolution.types';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { SettingValue } from './setting-value.entity';

@ObjectType({ description: 'The value of a setting for a library/department, with where it came from (D3)' })
export class EffectiveSetting {
  @Field()
  key: string;

  @Field(() => String, { nullable: true })
  value: string | null;

  @Field(() => SmtpServer, { nullable: true })
  smtpServer: SmtpServer | null;

  @Field(() => SettingValue, { nullable: true, description: 'The value that won, null when none' })
  source: SettingValue | null;

  @Field(() => [ResolutionStep])
  trace: ResolutionStep[];
}
