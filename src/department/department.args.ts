import { ArgsType, Field, ID, Int } from 'type-graphql';
import { DEFAULT_PAGE } from '../common/connection';

@ArgsType()
export class LibraryDepartmentsPageArgs {
  @Field(() => Int, { nullable: true, defaultValue: DEFAULT_PAGE, description: 'At most 500' })
  first: number | null;

  @Field(() => String, { nullable: true, description: "An endCursor or edge cursor of this list's previous page" })
  after: string | null;

  @Field(() => String, { nullable: true, description: 'Matches name or e-mail, ignoring case and accents' })
  search: string | null;
}

@ArgsType()
export class DepartmentsPageArgs {
  @Field(() => ID, { nullable: true, description: "Only this library's departments" })
  libraryId: string | null;

  @Field(() => Int, { nullable: true, defaultValue: DEFAULT_PAGE, description: 'At most 500' })
  first: number | null;

  @Field(() => String, { nullable: true, description: "An endCursor or edge cursor of this list's previous page" })
  after: string | null;

  @Field(() => String, { nullable: true, description: 'Matches name or e-mail, ignoring case and accents' })
  search: string | null;

  @Field(() => Boolean, { nullable: true, description: 'True: only those whose effective configuration has an error or a warning for some purpose' })
  hasProblems: boolean | null;
}
