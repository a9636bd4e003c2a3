import { DataSource, EntityManager } from 'typeorm';
import { Capability, scopeOf } from '../auth/access';
import { Identity } from '../auth/identity';
import { BadInputError, ConflictError, ForbiddenError, InUseError, NotFoundError } from '../common/errors';
import { referencedId } from '../common/references';
import { cleanEmail, cleanText, parseId } from '../common/text';
import { saveVersioned, stampNew, WriteRunner, WriteScope } from '../database/transaction';
import { Department } from '../department/department.entity';
import { ScopeTarget } from '../auth/scope-target';
import { Library } from '../library/library.entity';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { lookupSetting } from './setting-lookup';
import { valuesInScope } from './settings.loaders';
import { SettingDefinition } from './setting-definition.entity';
import { scopeKeyOf, SettingValue } from './setting-value.entity';
import { SettingScope, SettingValueType } from './setting.enums';
import { SetSettingInput, SettingDefinitionInput, SettingTargetInput } from './settings.input';
import { EffectiveSetting } from './settings.types';
import type { Loaders } from '../loaders.type';

const KEY = /^[A-Z][A-Z0-9_]{0,63}$/;
const MAX_STRING_VALUE = 4000;

export interface CleanValue {
  value: string;
  smtpServerId: number | null;
}

/** D3: a value must fit its definition's type. */
export async function cleanValue(manager: EntityManager, definition: SettingDefinition, raw: string): Promise<CleanValue> {
  const text = raw.trim();
  switch (definition.valueType) {
    case SettingValueType.STRING:
      if (raw.includes('\0')) throw new BadInputError('value', 'value must not contain NUL characters');
      if (raw.length > MAX_STRING_VALUE) throw new BadInputError('value', `value must be at most ${MAX_STRING_VALUE} characters long`);
      return { value: raw, smtpServerId: null };
    case SettingValueType.INT:
      if (!/^-?[0-9]{1,10}$/.test(text) || Math.abs(Number(text)) > 2147483647) {
        throw new BadInputError('value', `${definition.key} takes a whole number`);
      }
      return { value: String(Number(text)), smtpServerId: null };
    case SettingValueType.BOOLEAN:
      if (!/^(true|false)$/i.test(text)) throw new BadInputError('value', `${definition.key} takes true or false`);
      return { value: text.toLowerCase(), smtpServerId: null };
    case SettingValueType.EMAIL:
      return { value: cleanEmail('value', text, true) as string, smtpServerId: null };
    case SettingValueType.SMTP_SERVER: {
      const id = (await referencedId(manager, SmtpServer, 'value', 'SMTP server', text)) as number;
      return { value: String(id), smtpServerId: id };
    }
  }
}

interface ResolvedTarget {
  definition: SettingDefinition;
  scope: SettingScope;
  libraryId: number | null;
  departmentId: number | null;
  scopeKey: string;
}

export class SettingsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly writes: WriteRunner,
  ) {}

  definitions(): Promise<SettingDefinition[]> {
    return this.dataSource.getRepository(SettingDefinition).find({ order: { key: 'ASC' } });
  }

  values(key: string | null | undefined): Promise<SettingValue[]> {
    const where = key ? { key } : {};
    return this.dataSource.getRepository(SettingValue).find({ where, order: { key: 'ASC', id: 'ASC' } });
  }

  createDefinition(input: SettingDefinitionInput, actor: Identity): Promise<SettingDefinition> {
    return this.writes.run(async (manager, write) => {
      const key = cleanText('key', input.key, { required: true, maxLength: 64 }) as string;
      if (!KEY.test(key)) throw new BadInputError('key', 'key must be upper-case letters, digits and "_", starting with a letter (e.g. NOTICE_SIGNATURE)');
      const scopes = [...new Set(input.allowedScopes)];
      if (scopes.length === 0) throw new BadInputError('allowedScopes', 'allowedScopes must name at least one scope');
      if (await manager.existsBy(SettingDefinition, { key })) throw new ConflictError(`A setting named ${key} already exists`, { field: 'key' });
      const row = manager.create(SettingDefinition, {
        key,
        description: cleanText('description', input.description, { maxLength: 1000 }),
        valueType: input.valueType,
        allowedScopes: [SettingScope.GLOBAL, SettingScope.LIBRARY, SettingScope.DEPARTMENT].filter((s) => scopes.includes(s)),
        builtIn: false,
      });
      const saved = await manager.save(SettingDefinition, stampNew(row, actor, new Date()));
      await write.record({
        actor: actor.sub,
        action: 'createSettingDefinition',
        entityType: 'SettingDefinition',
        entityId: key,
        before: null,
        after: saved,
      });
      return saved;
    });
  }

  deleteDefinition(key: string, actor: Identity): Promise<string> {
    return this.writes.run(async (manager, write) => {
      const row = await manager.findOneBy(SettingDefinition, { key });
      if (!row) throw new NotFoundError('SettingDefinition', key, KEY.test(key));
      if (row.builtIn) throw new BadInputError('key', `${key} is built in and cannot be deleted`);
      const values = await manager.find(SettingValue, { where: { key }, order: { id: 'ASC' } });
      if (values.length > 0) {
        throw new InUseError(
          `Setting ${key}`,
          values.map((v) => ({ type: 'SettingValue', id: String(v.id), name: `${v.key} (${v.scopeKey.toLowerCase()})` })),
        );
      }
      await manager.delete(SettingDefinition, { key });
      await write.record({
        actor: actor.sub,
        action: 'deleteSettingDefinition',
        entityType: 'SettingDefinition',
        entityId: key,
        before: row,
        after: null,
      });
      return key;
    });
  }

  /** Blank values clear the setting; the result then shows the target with a null value. */
  set(input: SetSettingInput, actor: Identity): Promise<SettingValue> {
    return this.writes.run(async (manager, write) => {
      const target = await this.resolveTarget(manager, input);
      const existing = await manager.findOneBy(SettingValue, { key: target.definition.key, scopeKey: target.scopeKey });
      if (input.value === null || input.value === undefined || input.value.trim() === '') {
        if (existing) {
          await manager.delete(SettingValue, { id: existing.id });
          await this.audit(write, actor, 'setSetting', existing, null);
          return Object.assign(existing, { value: null, smtpServerId: null });
        }
        // Nothing was stored, so there is no row id; SettingValue.id is non-null, so the answer
        // is identified by its target instead (never equal to a stored value's numeric id).
        // Nothing is recorded either, so the revision stays.
        const placeholderId = `${target.definition.key}:${target.scopeKey}` as unknown as number;
        return Object.assign(this.newValue(manager, target, actor), { id: placeholderId, value: null, smtpServerId: null });
      }
      const clean = await cleanValue(manager, target.definition, input.value);
      const before = existing ? { ...existing } : null;
      const saved = existing
        ? await saveVersioned(manager, SettingValue, 'SettingValue', existing, clean, actor, null)
        : await manager.save(SettingValue, Object.assign(this.newValue(manager, target, actor), clean));
      await this.audit(write, actor, 'setSetting', before, saved);
      return saved;
    });
  }

  private audit(write: WriteScope, actor: Identity, action: string, before: SettingValue | null, after: SettingValue | null): Promise<void> {
    const row = (after ?? before) as SettingValue;
    return write.record({ actor: actor.sub, action, entityType: 'SettingValue', entityId: row.id, libraryId: row.libraryId, before, after });
  }

  clear(input: SettingTargetInput, actor: Identity): Promise<boolean> {
    return this.writes.run(async (manager, write) => {
      const target = await this.resolveTarget(manager, input);
      const existing = await manager.findOneBy(SettingValue, { key: target.definition.key, scopeKey: target.scopeKey });
      if (!existing) return false;
      await manager.delete(SettingValue, { id: existing.id });
      await this.audit(write, actor, 'clearSetting', existing, null);
      return true;
    });
  }

  /** D3 with its trace, read through the request's loaders (the snapshot, when it is on). */
  async effective(loaders: Loaders, key: string, target: ScopeTarget, identity: Identity): Promise<EffectiveSetting> {
    if (!target.library && scopeOf(identity, Capability.READ_EFFECTIVE) !== 'all')
      throw new ForbiddenError('Name one of your libraries to read its effective settings');
    const definition = await loaders.definitionByKey.load(key);
    if (!definition) throw new NotFoundError('SettingDefinition', key, KEY.test(key));
    const context = { libraryId: target.library?.id ?? null, departmentId: target.department?.id ?? null };
    const { value, trace } = lookupSetting(definition, await valuesInScope(loaders, context), context);
    const smtpServer = value?.smtpServerId ? await loaders.serverById.load(value.smtpServerId) : null;
    if (smtpServer) trace[trace.length - 1].value = smtpServer.name;
    return { key, value: value?.value ?? null, smtpServer, source: value, trace };
  }

  private newValue(manager: EntityManager, target: ResolvedTarget, actor: Identity): SettingValue {
    const row = manager.create(SettingValue, {
      key: target.definition.key,
      scope: target.scope,
      scopeKey: target.scopeKey,
      libraryId: target.libraryId,
      departmentId: target.departmentId,
    });
    return stampNew(row, actor, new Date());
  }

  /** D3: the scope must be allowed by the definition and name exactly the target it needs. */
  private async resolveTarget(manager: EntityManager, input: SettingTargetInput): Promise<ResolvedTarget> {
    const definition = await manager.findOneBy(SettingDefinition, { key: input.key });
    if (!definition) throw new BadInputError('key', 'There is no setting with this key');
    if (!definition.allowedScopes.includes(input.scope)) {
      throw new BadInputError('scope', `${definition.key} can be set only at ${definition.allowedScopes.join(', ')} scope, not ${input.scope}`);
    }
    const present = (raw: string | null | undefined) => raw !== null && raw !== undefined;
    if (input.scope === SettingScope.GLOBAL) {
      if (present(input.libraryId)) throw new BadInputError('libraryId', 'a GLOBAL value does not take a libraryId');
      if (present(input.departmentId)) throw new BadInputError('departmentId', 'a GLOBAL value does not take a departmentId');
      return { definition, scope: input.scope, libraryId: null, departmentId: null, scopeKey: scopeKeyOf(input.scope, null, null) };
    }
    if (input.scope === SettingScope.LIBRARY) {
      if (!present(input.libraryId)) throw new BadInputError('libraryId', 'a LIBRARY value needs a libraryId');
      if (present(input.departmentId)) throw new BadInputError('departmentId', 'a LIBRARY value does not take a departmentId');
      const libraryId = (await referencedId(manager, Library, 'libraryId', 'Library', input.libraryId)) as number;
      return { definition, scope: input.scope, libraryId, departmentId: null, scopeKey: scopeKeyOf(input.scope, libraryId, null) };
    }
    if (!present(input.departmentId)) throw new BadInputError('departmentId', 'a DEPARTMENT value needs a departmentId');
    const departmentId = parseId(input.departmentId);
    const department = departmentId === null ? null : await manager.findOneBy(Department, { id: departmentId });
    if (!department) throw new BadInputError('departmentId', 'departmentId names no existing department');
    if (present(input.libraryId) && parseId(input.libraryId) !== department.libraryId) {
      throw new BadInputError('libraryId', `Department ${department.id} does not belong to the library libraryId names`);
    }
    return {
      definition,
      scope: input.scope,
      libraryId: department.libraryId,
      departmentId: department.id,
      scopeKey: scopeKeyOf(input.scope, null, department.id),
    };
  }
}
