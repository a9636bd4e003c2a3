import { EntityManager, QueryFailedError } from 'typeorm';
import { requireRecordEdit } from '../auth/access';
import { Identity } from '../auth/identity';
import { BadInputError, ConflictError, InUseError } from '../common/errors';
import { referencedId, requireRow } from '../common/references';
import { cleanEmail, cleanText, parseId } from '../common/text';
import { given, saveVersioned, stampNew, WriteRunner } from '../database/transaction';
import { Department } from '../department/department.entity';
import { SettingValue } from '../settings/setting-value.entity';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { Library } from './library.entity';
import { LibraryInput, LibraryUpdateInput } from './library.input';

const CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** What a library-admin may change on an own library (SPEC.md role matrix). */
const SENDER_FIELDS = new Set(['shortName', 'contactEmail']);

function cleanCode(raw: string | null | undefined): string {
  const code = cleanText('code', raw, { required: true, maxLength: 64 }) as string;
  if (!CODE.test(code)) throw new BadInputError('code', 'code may contain only letters, digits, ".", "_" and "-"');
  return code;
}

function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: string } | undefined;
  return driverError?.code === 'ER_DUP_ENTRY' || driverError?.code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export class LibraryService {
  constructor(private readonly writes: WriteRunner) {}

  create(input: LibraryInput, actor: Identity): Promise<Library> {
    return this.writes.run(async (manager, write) => {
      const row = manager.create(Library, {
        code: cleanCode(input.code),
        name: cleanText('name', input.name, { required: true, maxLength: 200 }) as string,
        shortName: cleanText('shortName', input.shortName, { maxLength: 100 }),
        contactEmail: cleanEmail('contactEmail', input.contactEmail),
        smtpServerId: await referencedId(manager, SmtpServer, 'smtpServerId', 'SMTP server', input.smtpServerId),
      });
      await this.assertCodeFree(manager, row.code, null);
      const saved = await this.saveUnique(() => manager.save(Library, stampNew(row, actor, new Date())));
      await write.record({
        actor: actor.sub,
        action: 'createLibrary',
        entityType: 'Library',
        entityId: saved.id,
        libraryId: saved.id,
        before: null,
        after: saved,
      });
      return saved;
    });
  }

  update(id: string, input: LibraryUpdateInput, expectedVersion: number | null | undefined, actor: Identity): Promise<Library> {
    return this.writes.run(async (manager, write) => {
      // before the row is looked up, so an identity that may not edit a library learns nothing about whether it exists
      requireRecordEdit(actor, parseId(id), input, SENDER_FIELDS);
      const row = await requireRow(manager, Library, 'Library', id);
      const changes: Partial<Library> = {};
      if (given(input, 'code')) changes.code = cleanCode(input.code);
      if (given(input, 'name')) changes.name = cleanText('name', input.name, { required: true, maxLength: 200 }) as string;
      if (given(input, 'shortName')) changes.shortName = cleanText('shortName', input.shortName, { maxLength: 100 });
      if (given(input, 'contactEmail')) changes.contactEmail = cleanEmail('contactEmail', input.contactEmail);
      if (given(input, 'smtpServerId')) changes.smtpServerId = await referencedId(manager, SmtpServer, 'smtpServerId', 'SMTP server', input.smtpServerId);
      if (changes.code !== undefined) await this.assertCodeFree(manager, changes.code, row.id);
      const before = { ...row };
      const saved = await this.saveUnique(() => saveVersioned(manager, Library, 'Library', row, changes, actor, expectedVersion));
      await write.record({
        actor: actor.sub,
        action: 'updateLibrary',
        entityType: 'Library',
        entityId: row.id,
        libraryId: row.id,
        before,
        after: saved,
      });
      return saved;
    });
  }

  delete(id: string, actor: Identity): Promise<string> {
    return this.writes.run(async (manager, write) => {
      const row = await requireRow(manager, Library, 'Library', id);
      const [departments, settings] = await Promise.all([
        manager.find(Department, { where: { libraryId: row.id }, order: { id: 'ASC' } }),
        manager.find(SettingValue, { where: { libraryId: row.id }, order: { id: 'ASC' } }),
      ]);
      const usedBy = [
        ...departments.map((d) => ({ type: 'Department', id: String(d.id), name: d.name })),
        ...settings.map((v) => ({ type: 'SettingValue', id: String(v.id), name: v.key })),
      ];
      if (usedBy.length > 0) throw new InUseError(`Library "${row.name}"`, usedBy);
      await manager.delete(Library, { id: row.id });
      await write.record({
        actor: actor.sub,
        action: 'deleteLibrary',
        entityType: 'Library',
        entityId: row.id,
        libraryId: row.id,
        before: row,
        after: null,
      });
      return String(row.id);
    });
  }

  private async assertCodeFree(manager: EntityManager, code: string, ownId: number | null): Promise<void> {
    const holder = await manager.findOneBy(Library, { code });
    if (holder && holder.id !== ownId) throw new ConflictError('A library with this code already exists', { field: 'code' });
  }

  /** The check above can race with another instance; the unique index has the last word. */
  private async saveUnique<T>(save: () => Promise<T>): Promise<T> {
    try {
      return await save();
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError('A library with this code already exists', { field: 'code' });
      throw error;
    }
  }
}
