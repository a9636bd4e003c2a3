import { Field, ObjectType } from 'type-graphql';
import { AuditEntry } from '../audit/audit-entry.entity';

@ObjectType({ description: 'What revertChange wrote: one new revision, itself revertible' })
export class RevertResult {
  @Field(() => [AuditEntry], { description: 'The audit entries the revert wrote, with its new revision; empty when nothing had to change' })
  entries: AuditEntry[];

  @Field(() => [String], { description: 'What could not be put back as it was, e.g. a password, which history does not keep' })
  notices: string[];
}
