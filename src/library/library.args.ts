import { ArgsType, Field, Int } from 'type-graphql';
import { DEFAULT_PAGE } from '../common/connection';

@ArgsType()
export class LibraryPageArgs {
  @Field(() => Int, { nullable: true, defaultValue: DEFAULT_PAGE, description: 'At most 500' })
  first: number | null;

  @Field(() => String, { nullable: true, description: "An endCursor or edge cursor of this list's previous page" })
  after: string | null;

  @Field(() => String, { nullable: true, description: 'Matches name, code, short name or e-mail, ignoring case and accents' })
  search: string | null;

  @Field(() => Boolean, { nullable: true, description: 'True: only those whose effective configuration has an error or a warning for some purpose' })
  hasProblems: boolean | null;
}
