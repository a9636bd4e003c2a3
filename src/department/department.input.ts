import { Field, ID, InputType } from 'type-graphql';

@InputType()
export class DepartmentInput {
  @Field(() => ID)
  libraryId: string;

  @Field()
  name: string;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => ID, { nullable: true })
  smtpServerId?: string | null;
}

/** Every field optional: omitted = unchanged, explicit null = cleared. */
@InputType()
export class DepartmentUpdateInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => ID, { nullable: true })
  smtpServerId?: string | null;
}
