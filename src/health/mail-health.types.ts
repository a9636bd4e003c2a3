import { ArgsType, Field, Int, ObjectType } from 'type-graphql';
import { PageInfo } from '../common/connection';
import { Department } from '../department/department.entity';
import { Library } from '../library/library.entity';
import { DeliverabilityFinding } from '../mail/deliverability/deliverability.types';
import { ConfigProblem } from '../mail/mail-config.types';
import { MailPurpose, ProblemSeverity } from '../mail/mail.enums';

@ObjectType()
export class ProblemCount {
  @Field()
  code: string;

  @Field(() => ProblemSeverity)
  severity: ProblemSeverity;

  @Field(() => Int)
  count: number;
}

@ObjectType({ description: 'One library or department, for one purpose, whose mail configuration has problems' })
export class MailHealthItem {
  @Field(() => Library)
  library: Library;

  @Field(() => Department, { nullable: true })
  department: Department | null;

  @Field(() => MailPurpose)
  purpose: MailPurpose;

  @Field(() => ProblemSeverity)
  worstSeverity: ProblemSeverity;

  @Field(() => [ConfigProblem], { description: 'The problems at or above the severity asked for' })
  problems: ConfigProblem[];

  @Field(() => [DeliverabilityFinding], { description: 'From the last background deliverability pass; empty before the first' })
  findings: DeliverabilityFinding[];
}

@ObjectType()
export class MailHealthEdge {
  @Field()
  cursor: string;

  @Field(() => MailHealthItem)
  node: MailHealthItem;
}

@ObjectType()
export class MailHealthConnection {
  @Field(() => [MailHealthEdge])
  edges: MailHealthEdge[];

  @Field(() => [MailHealthItem])
  nodes: MailHealthItem[];

  @Field(() => PageInfo)
  pageInfo: PageInfo;

  @Field(() => Int)
  totalCount: number;

  @Field(() => [ProblemCount], { description: 'Problems by code over the whole result, not just this page' })
  summary: ProblemCount[];
}

@ArgsType()
export class MailHealthArgs {
  @Field(() => ProblemSeverity, { nullable: true, defaultValue: ProblemSeverity.WARNING })
  severity?: ProblemSeverity | null;

  @Field(() => MailPurpose, { nullable: true })
  purpose?: MailPurpose | null;

  @Field(() => String, { nullable: true })
  code?: string | null;

  @Field(() => Int, { nullable: true, defaultValue: 50 })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;
}
