import { ArgsType, Field, ID } from 'type-graphql';
import { AT_DESCRIPTION } from '../history/history-bounds';
import { MailPurpose } from './mail.enums';

/**
 * The department, purpose and moment of an effective-mail question (D1). The library comes before
 * them: an argument of the query, or the Library the field is asked on.
 */
@ArgsType()
export class MailTargetArgs {
  @Field(() => ID, { nullable: true })
  departmentId?: string | null;

  @Field(() => MailPurpose, { defaultValue: MailPurpose.GENERAL })
  purpose: MailPurpose;

  @Field(() => Date, { nullable: true, description: AT_DESCRIPTION })
  at?: Date | null;
}
