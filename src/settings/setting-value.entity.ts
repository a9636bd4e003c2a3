import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Field, ID, ObjectType } from 'type-graphql';
import { Audited } from '../common/audited.entity';
import { SettingScope } from './setting.enums';

/**
 * A settings value at one scope. `scopeKey` ("GLOBAL", "LIBRARY:3", "DEPARTMENT:7") makes
 * "one value per key and scope" a unique index on every database, since NULLs never collide there.
 */
@ObjectType()
@Entity({ name: 'setting_value' })
@Index('UQ_setting_value_key_scope', ['key', 'scopeKey'], { unique: true })
export class SettingValue extends Audited {
  @Field(() => ID)
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Field()
  @Column({ type: 'varchar', length: 64 })
  key: string;

  @Field(() => SettingScope)
  @Column({ type: 'varchar', length: 16 })
  scope: SettingScope;

  @Column({ type: 'varchar', length: 40 })
  scopeKey: string;

  @Column({ type: 'int', nullable: true })
  libraryId: number | null;

  @Column({ type: 'int', nullable: true })
  departmentId: number | null;

  @Field(() => String, { nullable: true, description: 'The value as text (for SMTP_SERVER: the server id)' })
  @Column({ type: 'text', nullable: true })
  value: string | null;

  /** Set for SMTP_SERVER values so the database itself keeps the reference valid. */
  @Column({ type: 'int', nullable: true })
  smtpServerId: number | null;
}

export function scopeKeyOf(scope: SettingScope, libraryId: number | null, departmentId: number | null): string {
  if (scope === SettingScope.DEPARTMENT) return `DEPARTMENT:${departmentId}`;
  if (scope === SettingScope.LIBRARY) return `LIBRARY:${libraryId}`;
  return 'GLOBAL';
}
