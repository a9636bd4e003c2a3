import { ArgsType, Field, ID } from 'type-graphql';
import { MailPurpose } from './mail.enums';

/**
 * The department and purpose of an effective-mail question (D1). The library comes before them:
 * an argument of the query, or the Library the field is asked on.
 */
@ArgsType()
export class MailTargetArgs {
  @Field(() => ID, { nullable: true })
  departmentId?: string | null;

  @Field(() => MailPurpose, { defaultValue: MailPurpose.GENERAL })
  purpose: MailPurpose;
}
