import { DataSource, EntityManager } from 'typeorm';
import { BadInputError, InUseError, Referrer } from '../common/errors';
import { referencedId, requireRow } from '../common/references';
import { cleanInt, cleanText, isValidHost } from '../common/text';
import { Actor, given, saveVersioned, stampNew, WriteRunner } from '../database/transaction';
import { Department } from '../department/department.entity';
import { Library } from '../library/library.entity';
import { SettingValue } from '../settings/setting-value.entity';
import { SmtpProtocol } from './smtp-server.enums';
import { SmtpServer } from './smtp-server.entity';
import { DEFAULT_CONNECTION_TIMEOUT_MS, DEFAULT_TIMEOUT_MS, SmtpServerInput, SmtpServerUpdateInput } from './smtp-server.input';

const MAX_TIMEOUT_MS = 3_600_000;
const NOT_CLEARABLE = ['name', 'host', 'port', 'protocol', 'allowTls', 'allowSsl', 'requiresAuth', 'connectionTimeoutMs', 'timeoutMs'] as const;

type ServerFields = Omit<SmtpServer, 'id' | 'version' | 'createdAt' | 'updatedAt' | 'updatedBy' | 'hasPassword'>;

/** Checks every field of a server (R1, D10); field names are those of the input. */
function cleanServer(draft: ServerFields): ServerFields {
  const host = cleanText('host', draft.host, { required: true, maxLength: 253 }) as string;
  if (!isValidHost(host)) throw new BadInputError('host', `host must be a host name or IP address, got "${host}"`);
  if (draft.protocol !== SmtpProtocol.SMTP) throw new BadInputError('protocol', 'protocol must be SMTP, the only supported protocol');
  const password = draft.password === null || draft.password === undefined || draft.password === '' ? null : draft.password;
  if (password !== null && /[\r\n\0]/.test(password)) throw new BadInputError('password', 'password must not contain line breaks or NUL characters');
  if (password !== null && password.length > 1024) throw new BadInputError('password', 'password must be at most 1024 characters long');
  return {
    ...draft,
    name: cleanText('name', draft.name, { required: true, maxLength: 200 }) as string,
    host,
    port: cleanInt('port', draft.port, 1, 65535, 'a port number'),
    username: cleanText('username', draft.username, { maxLength: 255 }),
    password,
    connectionTimeoutMs: cleanInt('connectionTimeoutMs', draft.connectionTimeoutMs, 1, MAX_TIMEOUT_MS, 'a number of milliseconds'),
    timeoutMs: cleanInt('timeoutMs', draft.timeoutMs, 1, MAX_TIMEOUT_MS, 'a number of milliseconds'),
  };
}

export class SmtpServerService {
  constructor(private readonly dataSource: DataSource, private readonly writes: WriteRunner) {}

  list(): Promise<SmtpServer[]> {
    return this.dataSource.getRepository(SmtpServer).find({ order: { id: 'ASC' } });
  }

  create(input: SmtpServerInput, actor: Actor): Promise<SmtpServer> {
    return this.writes.run(async (manager) => {
      const draft = cleanServer({
        name: input.name,
        host: input.host,
        port: input.port,
        protocol: input.protocol ?? SmtpProtocol.SMTP,
        username: input.username ?? null,
        password: input.password ?? null,
        allowTls: input.allowTls ?? false,
        allowSsl: input.allowSsl ?? false,
        requiresAuth: input.requiresAuth ?? false,
        connectionTimeoutMs: input.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
        timeoutMs: input.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        nextServerId: await referencedId(manager, SmtpServer, 'nextServerId', 'SMTP server', input.nextServerId),
      });
      const row = stampNew(manager.create(SmtpServer, draft), actor, new Date());
      return manager.save(SmtpServer, row);
    });
  }

  update(id: string, input: SmtpServerUpdateInput, expectedVersion: number | null | undefined, actor: Actor): Promise<SmtpServer> {
    return this.writes.run(async (manager) => {
      const row = await requireRow(manager, SmtpServer, 'SmtpServer', id);
      for (const key of NOT_CLEARABLE) {
        if (Object.prototype.hasOwnProperty.call(input, key) && input[key] === null) throw new BadInputError(key, `${key} cannot be cleared`);
      }
      const changes: Partial<ServerFields> = {};
      for (const key of ['name', 'host', 'port', 'protocol', 'username', 'password', 'allowTls', 'allowSsl', 'requiresAuth', 'connectionTimeoutMs', 'timeoutMs'] as const) {
        if (given(input, key)) (changes as Record<string, unknown>)[key] = input[key];
      }
      if (given(input, 'nextServerId')) {
        const nextServerId = input.nextServerId === null ? null : await referencedId(manager, SmtpServer, 'nextServerId', 'SMTP server', input.nextServerId);
        if (nextServerId !== null) await this.assertNoCycle(manager, row.id, nextServerId);
        changes.nextServerId = nextServerId;
      }
      const cleaned = cleanServer({ ...row, ...changes });
      const patch = Object.fromEntries(Object.keys(changes).map((k) => [k, cleaned[k as keyof ServerFields]])) as Partial<SmtpServer>;
      return saveVersioned(manager, SmtpServer, 'SmtpServer', row, patch, actor, expectedVersion);
    });
  }

  delete(id: string): Promise<string> {
    return this.writes.run(async (manager) => {
      const row = await requireRow(manager, SmtpServer, 'SmtpServer', id);
      const usedBy = await this.referrers(manager, row.id);
      if (usedBy.length > 0) throw new InUseError(`SMTP server "${row.name}"`, usedBy);
      await manager.delete(SmtpServer, { id: row.id });
      return String(row.id);
    });
  }

  /** D10: a server cannot be its own next server, and no write may close a loop. */
  private async assertNoCycle(manager: EntityManager, serverId: number, nextServerId: number): Promise<void> {
    if (serverId === nextServerId) throw new BadInputError('nextServerId', 'a server cannot be its own next server');
    const links = await manager.find(SmtpServer, { select: { id: true, nextServerId: true, name: true } });
    const byId = new Map(links.map((s) => [s.id, s]));
    const seen = new Set<number>();
    for (let current = byId.get(nextServerId); current; current = current.nextServerId === null ? undefined : byId.get(current.nextServerId)) {
      if (current.nextServerId === serverId) {
        throw new BadInputError('nextServerId', `this would create a loop: "${current.name}" already leads back to this server`);
      }
      if (seen.has(current.id)) break;
      seen.add(current.id);
    }
  }

  private async referrers(manager: EntityManager, id: number): Promise<Referrer[]> {
    const [servers, libraries, departments, settings] = await Promise.all([
      manager.find(SmtpServer, { where: { nextServerId: id }, order: { id: 'ASC' } }),
      manager.find(Library, { where: { smtpServerId: id }, order: { id: 'ASC' } }),
      manager.find(Department, { where: { smtpServerId: id }, order: { id: 'ASC' } }),
      manager.find(SettingValue, { where: { smtpServerId: id }, order: { id: 'ASC' } }),
    ]);
    return [
      ...servers.map((s) => ({ type: 'SmtpServer', id: String(s.id), name: s.name })),
      ...libraries.map((l) => ({ type: 'Library', id: String(l.id), name: l.name })),
      ...departments.map((d) => ({ type: 'Department', id: String(d.id), name: d.name })),
      ...settings.map((v) => ({ type: 'SettingValue', id: String(v.id), name: `${v.key} (${v.scopeKey.toLowerCase()})` })),
    ];
  }
}
