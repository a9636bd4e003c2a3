import { Column, Entity, PrimaryColumn } from 'typeorm';
import { Field, ObjectType } from 'type-graphql';
import { Audited } from '../common/audited.entity';
import { SettingScope, SettingValueType } from './setting.enums';

@ObjectType()
@Entity({ name: 'setting_definition' })
export class SettingDefinition extends Audited {
  @Field()
  @PrimaryColumn({ type: 'varchar', length: 64 })
  key: string;

  @Field(() => String, { nullable: true })
  @Column({ type: 'varchar', length: 1000, nullable: true })
  description: string | null;

  @Field(() => SettingValueType)
  @Column({ type: 'varchar', length: 16 })
  valueType: SettingValueType;

  @Field(() => [SettingScope])
  @Column({ type: 'simple-array' })
  allowedScopes: SettingScope[];

  @Field()
  @Column({ type: 'boolean', default: false })
  builtIn: boolean;
}
