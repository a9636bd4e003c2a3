import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType()
export class FieldChange {
  @Field()
  field: string;

  @Field(() => String, { nullable: true })
  before: string | null;

  @Field(() => String, { nullable: true })
  after: string | null;
}

/** One mutation's effect on one record, written in the mutation's own transaction. */
@ObjectType()
@Entity({ name: 'audit_entry' })
@Index(['entityType', 'entityId'])
export class AuditEntry {
  @Field(() => ID)
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Field()
  @Column({ type: 'datetime', precision: 3 })
  at: Date;

  @Field({ description: 'The token subject that made the change' })
  @Column({ type: 'varchar', length: 255 })
  actor: string;

  @Field({ description: 'The mutation, e.g. updateSmtpServer' })
  @Column({ type: 'varchar', length: 64 })
  action: string;

  @Field()
  @Column({ type: 'varchar', length: 64 })
  entityType: string;

  @Field(() => ID)
  @Column({ type: 'varchar', length: 64 })
  entityId: string;

  /** The library the record belongs to, so a library-admin can read its own history. */
  @Column({ type: 'int', nullable: true })
  libraryId: number | null;

  @Column({ type: 'text' })
  changesJson: string;

  @Field(() => [FieldChange])
  get changes(): FieldChange[] {
    return JSON.parse(this.changesJson) as FieldChange[];
  }
}
