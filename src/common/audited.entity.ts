import { Column } from 'typeorm';
import { Field, Int, ObjectType } from 'type-graphql';

/** Columns every configuration record carries (D10: version, timestamps, who changed it last). */
@ObjectType()
export abstract class Audited {
  @Field(() => Int)
  @Column({ type: 'int', default: 1 })
  version: number;

  @Field()
  @Column({ type: 'datetime', precision: 3 })
  createdAt: Date;

  @Field()
  @Column({ type: 'datetime', precision: 3 })
  updatedAt: Date;

  @Field(() => String, { nullable: true })
  @Column({ type: 'varchar', length: 255, nullable: true })
  updatedBy: string | null;
}
