import { Field, ID, InputType } from 'type-graphql';

@InputType()
export class LibraryInput {
  @Field()
  code: string;

  @Field()
  name: string;

  @Field(() => String, { nullable: true })
  shortName?: string | null;

  @Field(() => String, { nullable: true })
  contactEmail?: string | null;

  @Field(() => ID, { nullable: true })
  smtpServerId?: string | null;
}

/** Every field optional: omitted = unchanged, explicit null = cleared. */
@InputType()
export class LibraryUpdateInput {
  @Field(() => String, { nullable: true })
  code?: string | null;

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  shortName?: string | null;

  @Field(() => String, { nullable: true })
  contactEmail?: string | null;

  @Field(() => ID, { nullable: true })
  smtpServerId?: string | null;
}
