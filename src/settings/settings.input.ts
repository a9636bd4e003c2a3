import { Field, ID, InputType } from 'type-graphql';
import { SettingScope, SettingValueType } from './setting.enums';

@InputType()
export class SettingDefinitionInput {
  @Field()
  key: string;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => SettingValueType)
  valueType: SettingValueType;

  @Field(() => [SettingScope])
  allowedScopes: SettingScope[];
}

@InputType()
export class SettingTargetInput {
  @Field()
  key: string;

  @Field(() => SettingScope)
  scope: SettingScope;

  @Field(() => ID, { nullable: true })
  libraryId?: string | null;

  @Field(() => ID, { nullable: true })
  departmentId?: string | null;
}

@InputType()
export class SetSettingInput extends SettingTargetInput {
  @Field(() => String, { nullable: true, description: 'Null or blank clears the value (same as clearSetting). For SMTP_SERVER: the server id.' })
  value?: string | null;
}
