import { requireRecordEdit } from '../auth/access';
import { Identity } from '../auth/identity';
import { InUseError, NotFoundError } from '../common/errors';
import { referencedId, requireRow } from '../common/references';
import { cleanEmail, cleanText, parseId } from '../common/text';
import { given, saveVersioned, stampNew, WriteRunner } from '../database/transaction';
import { Library } from '../library/library.entity';
import { SettingValue } from '../settings/setting-value.entity';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { Department } from './department.entity';
import { DepartmentInput, DepartmentUpdateInput } from './department.input';

/** What a library-admin may change on a department of an own library (SPEC.md role matrix). */
const SENDER_FIELDS = new Set(['email']);

export class DepartmentService {
  constructor(private readonly writes: WriteRunner) {}

  create(input: DepartmentInput, actor: Identity): Promise<Department> {
    return this.writes.run(async (manager, write) => {
      const libraryId = (await referencedId(manager, Library, 'libraryId', 'Library', input.libraryId)) as number;
      const row = manager.create(Department, {
        libraryId,
        name: cleanText('name', input.name, { required: true, maxLength: 200 }) as string,
        email: cleanEmail('email', input.email),
        smtpServerId: await referencedId(manager, SmtpServer, 'smtpServerId', 'SMTP server', input.smtpServerId),
      });
      const saved = await manager.save(Department, stampNew(row, actor, new Date()));
      await write.record({
        actor: actor.sub,
        action: 'createDepartment',
        entityType: 'Department',
        entityId: saved.id,
        libraryId: saved.libraryId,
        before: null,
        after: saved,
      });
      return saved;
    });
  }

  update(id: string, input: DepartmentUpdateInput, expectedVersion: number | null | undefined, actor: Identity): Promise<Department> {
    return this.writes.run(async (manager, write) => {
      const departmentId = parseId(id);
      const row = departmentId === null ? null : await manager.findOneBy(Department, { id: departmentId });
      // for an identity that edits only some libraries, an unknown department is refused like one of another library
      requireRecordEdit(actor, row?.libraryId ?? null, input, SENDER_FIELDS);
      if (!row) throw new NotFoundError('Department', id);
      const changes: Partial<Department> = {};
      if (given(input, 'name')) changes.name = cleanText('name', input.name, { required: true, maxLength: 200 }) as string;
      if (given(input, 'email')) changes.email = cleanEmail('email', input.email);
      if (given(input, 'smtpServerId')) changes.smtpServerId = await referencedId(manager, SmtpServer, 'smtpServerId', 'SMTP server', input.smtpServerId);
      const before = { ...row };
      const saved = await saveVersioned(manager, Department, 'Department', row, changes, actor, expectedVersion);
      await write.record({
        actor: actor.sub,
        action: 'updateDepartment',
        entityType: 'Department',
        entityId: row.id,
        libraryId: row.libraryId,
        before,
        after: saved,
      });
      return saved;
    });
  }

  delete(id: string, actor: Identity): Promise<string> {
    return this.writes.run(async (manager, write) => {
      const row = await requireRow(manager, Department, 'Department', id);
      const settings = await manager.find(SettingValue, { where: { departmentId: row.id }, order: { id: 'ASC' } });
      if (settings.length > 0) {
        throw new InUseError(
          `Department "${row.name}"`,
          settings.map((v) => ({ type: 'SettingValue', id: String(v.id), name: v.key })),
        );
      }
      await manager.delete(Department, { id: row.id });
      await write.record({
        actor: actor.sub,
        action: 'deleteDepartment',
        entityType: 'Department',
        entityId: row.id,
        libraryId: row.libraryId,
        before: row,
        after: null,
      });
      return String(row.id);
    });
  }
}
