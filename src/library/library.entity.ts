import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Field, ID, ObjectType } from 'type-graphql';
import { Audited } from '../common/audited.entity';

@ObjectType()
@Entity({ name: 'library' })
export class Library extends Audited {
  @Field(() => ID)
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Field()
  @Column({ type: 'varchar', length: 64, unique: true })
  code: string;

  @Field()
  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Field(() => String, { nullable: true, description: 'Shown as the sender name when filled in (R10)' })
  @Column({ type: 'varchar', length: 100, nullable: true })
  shortName: string | null;

  @Field(() => String, { nullable: true, description: 'The sender address (R7)' })
  @Column({ type: 'varchar', length: 254, nullable: true })
  contactEmail: string | null;

  @Column({ type: 'int', nullable: true })
  smtpServerId: number | null;
}
