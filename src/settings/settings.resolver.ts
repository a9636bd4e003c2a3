import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Connection } from '../common/connection';
import { DEFAULT_PAGE } from '../common/connection';
import { Capability } from '../auth/access';
import { CurrentIdentity } from '../auth/current-identity';
import type { Identity } from '../auth/identity';
import { loadScopeTarget } from '../auth/scope-target';
import { notFound } from '../common/load-or-not-found';
import type { GatewayContext } from '../context';
import { Department } from '../department/department.entity';
import { Library } from '../library/library.entity';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { SettingDefinition } from './setting-definition.entity';
import { SettingValue } from './setting-value.entity';
import { SettingScope, SettingValueType } from './setting.enums';
import { settingValueConnection, SettingValueConnection } from './settings.list';
import { SetSettingInput, SettingDefinitionInput, SettingTargetInput } from './settings.input';
import { EffectiveSetting } from './settings.types';
import { AT_DESCRIPTION } from '../history/history-bounds';
import { loadersFor } from '../history/history-loaders';

@Resolver(() => SettingValue)
export class SettingsResolver {
  @Authorized(Capability.READ_SETTINGS)
  @Query(() => [SettingDefinition])
  settingDefinitions(@Ctx() ctx: GatewayContext): Promise<SettingDefinition[]> {
    return ctx.services.settings.definitions();
  }

  @Authorized(Capability.READ_SETTINGS)
  @Query(() => [SettingValue])
  settingValues(@Arg('key', () => String, { nullable: true }) key: string | null, @Ctx() ctx: GatewayContext): Promise<SettingValue[]> {
    return ctx.services.settings.values(key);
  }

  @Authorized(Capability.READ_SETTINGS)
  @Query(() => SettingValueConnection, { description: 'A page of setting values by key' })
  settingValuesConnection(
    @Arg('key', () => String, { nullable: true }) key: string | null,
    @Arg('scope', () => SettingScope, { nullable: true }) scope: SettingScope | null,
    @Arg('libraryId', () => ID, { nullable: true }) libraryId: string | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_PAGE, description: 'At most 500' }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GatewayContext,
  ): Promise<Connection<SettingValue>> {
    return settingValueConnection({ ...ctx.services.lists, loaders: ctx.loaders }, { key, scope, libraryId, first, after });
  }

  @Authorized(Capability.READ_EFFECTIVE)
  @Query(() => EffectiveSetting, {
    description: 'The value at the most specific allowed scope that has one: department, library, global (D3); with `at`, as it was then',
  })
  async effectiveSetting(
    @Arg('key') key: string,
    @Arg('libraryId', () => ID, { nullable: true }) libraryId: string | null,
    @Arg('departmentId', () => ID, { nullable: true }) departmentId: string | null,
    @Arg('at', () => Date, { nullable: true, description: AT_DESCRIPTION }) at: Date | null,
    @CurrentIdentity() identity: Identity,
    @Ctx() ctx: GatewayContext,
  ): Promise<EffectiveSetting> {
    const loaders = await ctx.services.history.loadersAt(ctx, at);
    const target = await loadScopeTarget(loaders, identity, Capability.READ_EFFECTIVE, libraryId, departmentId);
    return ctx.services.settings.effective(loaders, key, target, identity);
  }

  @FieldResolver(() => SettingDefinition)
  async definition(@Root() value: SettingValue, @Ctx() ctx: GatewayContext): Promise<SettingDefinition> {
    // A value cannot outlive its definition (foreign key); should it, the error stays at this field.
    return (await loadersFor(ctx, value).definitionByKey.load(value.key)) ?? notFound('SettingDefinition', value.key);
  }

  @FieldResolver(() => Library, { nullable: true })
  library(@Root() value: SettingValue, @Ctx() ctx: GatewayContext): Promise<Library | null> | null {
    return value.libraryId === null ? null : loadersFor(ctx, value).libraryById.load(value.libraryId);
  }

  @FieldResolver(() => Department, { nullable: true })
  department(@Root() value: SettingValue, @Ctx() ctx: GatewayContext): Promise<Department | null> | null {
    return value.departmentId === null ? null : loadersFor(ctx, value).departmentById.load(value.departmentId);
  }

  @FieldResolver(() => SmtpServer, { nullable: true, description: 'Set when valueType is SMTP_SERVER' })
  async smtpServer(@Root() value: SettingValue, @Ctx() ctx: GatewayContext): Promise<SmtpServer | null> {
    if (value.smtpServerId === null) return null;
    const loaders = loadersFor(ctx, value);
    const definition = await loaders.definitionByKey.load(value.key);
    return definition?.valueType === SettingValueType.SMTP_SERVER ? loaders.serverById.load(value.smtpServerId) : null;
  }

  @Authorized(Capability.WRITE_SETTINGS)
  @Mutation(() => SettingDefinition)
  createSettingDefinition(
    @Arg('input', () => SettingDefinitionInput) input: SettingDefinitionInput,
    @CurrentIdentity() identity: Identity,
    @Ctx() ctx: GatewayContext,
  ): Promise<SettingDefinition> {
    return ctx.services.settings.createDefinition(input, identity);
  }

  @Authorized(Capability.WRITE_SETTINGS)
  @Mutation(() => String, { description: 'Built-in definitions cannot be deleted' })
  deleteSettingDefinition(@Arg('key') key: string, @CurrentIdentity() identity: Identity, @Ctx() ctx: GatewayContext): Promise<string> {
    return ctx.services.settings.deleteDefinition(key, identity);
  }

  @Authorized(Capability.WRITE_SETTINGS)
  @Mutation(() => SettingValue, { description: 'A null or blank value clears the setting; the result then has value null' })
  setSetting(
    @Arg('input', () => SetSettingInput) input: SetSettingInput,
    @CurrentIdentity() identity: Identity,
    @Ctx() ctx: GatewayContext,
  ): Promise<SettingValue> {
    return ctx.services.settings.set(input, identity);
  }

  @Authorized(Capability.WRITE_SETTINGS)
  @Mutation(() => Boolean, { description: 'True when a value was removed' })
  clearSetting(
    @Arg('input', () => SettingTargetInput) input: SettingTargetInput,
    @CurrentIdentity() identity: Identity,
    @Ctx() ctx: GatewayContext,
  ): Promise<boolean> {
    return ctx.services.settings.clear(input, identity);
  }
}
