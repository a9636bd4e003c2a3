import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';

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

  @Field(() => Int, {
    nullable: true,
    description: 'The configuration revision this change made; null for actions that change no configuration (test mails, verifications)',
  })
  @Column({ type: 'int', nullable: true })
  revision: number | null;

  /** The row before the change, secrets only marked; null for a create, and once pruned (CONFIG_HISTORY_DAYS). */
  @Column({ type: 'text', nullable: true })
  beforeJson: string | null;

  @Column({ type: 'text', nullable: true })
  afterJson: string | null;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: 'The record before the change (secrets shown as [changed]); null for a create or once pruned',
  })
  get before(): Record<string, unknown> | null {
    return this.beforeJson ? (JSON.parse(this.beforeJson) as Record<string, unknown>) : null;
  }

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The record after the change (secrets shown as [changed]); null for a delete or once pruned' })
  get after(): Record<string, unknown> | null {
    return this.afterJson ? (JSON.parse(this.afterJson) as Record<string, unknown>) : null;
  }

  @Field(() => [FieldChange])
  get changes(): FieldChange[] {
    return JSON.parse(this.changesJson) as FieldChange[];
  }
}
