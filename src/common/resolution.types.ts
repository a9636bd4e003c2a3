import { Field, ObjectType } from 'type-graphql';
import { ResolutionOutcome, ResolutionSource, ResolutionTarget, Step } from './resolution';

@ObjectType({ description: 'One source looked at while resolving a value (D7)' })
export class ResolutionStep implements Step {
  @Field(() => ResolutionTarget)
  target: ResolutionTarget;

  @Field(() => ResolutionSource)
  source: ResolutionSource;

  @Field({ description: 'e.g. "Department.smtpServer", "ILS_SMTP_SERVER"' })
  field: string;

  @Field(() => ResolutionOutcome)
  outcome: ResolutionOutcome;

  @Field(() => String, { nullable: true, description: 'What was found, for display (never a secret)' })
  value: string | null;

  @Field(() => String, { nullable: true, description: 'Why, for SKIPPED' })
  note: string | null;
}
