import { EntityManager } from 'typeorm';
import { ApiError, BadInputError, ErrorCode, InUseError, Referrer } from '../common/errors';
import { referencedId, requireRow } from '../common/references';
import { cleanInt, cleanText, isValidHost } from '../common/text';
import { Actor, given, saveVersioned, stampNew, WriteRunner } from '../database/transaction';
import { Department } from '../department/department.entity';
import { Library } from '../library/library.entity';
import { validateSpfHint } from '../mail/deliverability/spf-hint';
import { assertValidCaPem } from '../mail/transport/ca-pem';
import { toSmtpTransportOptions, TransportServer } from '../mail/transport/smtp-transport';
import { SecretBox, SecretError } from '../secrets/secret-box';
import { forbiddenHostReason } from '../security/destination-guard';
import { SettingValue } from '../settings/setting-value.entity';
import { SmtpProtocol } from './smtp-server.enums';
import { SmtpServer } from './smtp-server.entity';
import { SmtpTransport } from './smtp-transport.types';
import { DEFAULT_CONNECTION_TIMEOUT_MS, DEFAULT_TIMEOUT_MS, SmtpServerInput, SmtpServerUpdateInput } from './smtp-server.input';

const MAX_TIMEOUT_MS = 3_600_000;
const MAX_CA_PEM = 64 * 1024;
const NOT_CLEARABLE = ['name', 'host', 'port', 'protocol', 'allowTls', 'allowSsl', 'requiresAuth', 'connectionTimeoutMs', 'timeoutMs'] as const;
const PLAIN_FIELDS = [
  'name',
  'host',
  'port',
  'protocol',
  'username',
  'allowTls',
  'allowSsl',
  'requiresAuth',
  'connectionTimeoutMs',
  'timeoutMs',
  'tlsCaPem',
  'spfHint',
  'dkimSelectors',
] as const;
/** D12: a stored password is only ever sent where it was entered for (a new trusted CA is a new identity too). */
export const DESTINATION_FIELDS = ['host', 'port', 'allowTls', 'allowSsl', 'username', 'tlsCaPem'] as const;
const SECRET_FIELDS = ['password'];
/** Key rotation is run by an operator from the command line, not by a token holder. */
const ROTATION_ACTOR = 'system:key-rotation';

export type ServerFields = Pick<SmtpServer, (typeof PLAIN_FIELDS)[number] | 'nextServerId'>;

/** Checks every field of a server (R1, D9, D10, D13); field names are those of the input. */
export function cleanServer(draft: ServerFields): ServerFields {
  const host = cleanText('host', draft.host, { required: true, maxLength: 253 }) as string;
  if (!isValidHost(host)) throw new BadInputError('host', 'host must be a host name or IP address');
  const forbidden = forbiddenHostReason(host);
  if (forbidden) throw new BadInputError('host', forbidden);
  if (draft.protocol !== SmtpProtocol.SMTP) throw new BadInputError('protocol', 'protocol must be SMTP, the only supported protocol');
  const tlsCaPem = draft.tlsCaPem === null || draft.tlsCaPem === undefined || draft.tlsCaPem.trim() === '' ? null : draft.tlsCaPem.trim();
  if (tlsCaPem !== null) {
    if (tlsCaPem.length > MAX_CA_PEM) throw new BadInputError('tlsCaPem', `tlsCaPem must be at most ${MAX_CA_PEM} characters long`);
    try {
      assertValidCaPem(tlsCaPem);
    } catch (error) {
      throw new BadInputError('tlsCaPem', `tlsCaPem is not a valid PEM certificate: ${(error as Error).message}`);
    }
  }
  const spfHint = cleanText('spfHint', draft.spfHint, { maxLength: 255 });
  if (spfHint !== null) {
    const checked = validateSpfHint(spfHint);
    if (!checked.ok) throw new BadInputError('spfHint', checked.message);
  }
  return {
    ...draft,
    name: cleanText('name', draft.name, { required: true, maxLength: 200 }) as string,
    host,
    port: cleanInt('port', draft.port, 1, 65535, 'a port number'),
    username: cleanText('username', draft.username, { maxLength: 255 }),
    connectionTimeoutMs: cleanInt('connectionTimeoutMs', draft.connectionTimeoutMs, 1, MAX_TIMEOUT_MS, 'a number of milliseconds'),
    timeoutMs: cleanInt('timeoutMs', draft.timeoutMs, 1, MAX_TIMEOUT_MS, 'a number of milliseconds'),
    tlsCaPem,
    spfHint,
    dkimSelectors: cleanDkimSelectors(draft.dkimSelectors),
  };
}

const MAX_DKIM_SELECTORS = 10;
const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** Stored lower-case and once each: DNS names are case-insensitive, and a repeat would only be looked up twice. */
function cleanDkimSelectors(raw: string[] | null | undefined): string[] {
  const selectors = raw ?? [];
  if (selectors.length > MAX_DKIM_SELECTORS) throw new BadInputError('dkimSelectors', `dkimSelectors must list at most ${MAX_DKIM_SELECTORS} selectors`);
  selectors.forEach((selector, i) => {
    if (typeof selector !== 'string' || !DNS_LABEL.test(selector)) {
      throw new BadInputError(
        'dkimSelectors',
        `dkimSelectors entry ${i + 1} must be a DNS label: 1-63 letters, digits or hyphens, not starting or ending with a hyphen`,
      );
    }
  });
  return [...new Set(selectors.map((s) => s.toLowerCase()))];
}

function cleanPassword(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined || raw === '') return null;
  if (/[\r\n\0]/.test(raw)) throw new BadInputError('password', 'password must not contain line breaks or NUL characters');
  if (raw.length > 1024) throw new BadInputError('password', 'password must be at most 1024 characters long');
  return raw;
}

export function passwordOwner(serverId: number): string {
  return `smtp_server:${serverId}`;
}

/** The stored fields a session needs; the password still sealed. */
export type TransportSource = Pick<
  SmtpServer,
  'id' | 'name' | 'host' | 'port' | 'username' | 'password' | 'allowTls' | 'allowSsl' | 'requiresAuth' | 'connectionTimeoutMs' | 'timeoutMs' | 'tlsCaPem'
>;

export class SmtpServerService {
  constructor(
    private readonly writes: WriteRunner,
    private readonly secrets: SecretBox,
  ) {}

  /** The decrypted settings the sending core needs; throws SecretError when the password does not decrypt. */
  transportSettings(server: TransportSource): TransportServer {
    return {
      id: server.id,
      name: server.name,
      host: server.host,
      port: server.port,
      username: server.username,
      password: server.password ? this.secrets.open(server.password, passwordOwner(server.id)) : null,
      allowTls: server.allowTls,
      allowSsl: server.allowSsl,
      requiresAuth: server.requiresAuth,
      connectionTimeoutMs: server.connectionTimeoutMs,
      timeoutMs: server.timeoutMs,
      tlsCaPem: server.tlsCaPem,
    };
  }

  /** D12: what an internal service passes to nodemailer.createTransport, password included. */
  transport(server: SmtpServer): SmtpTransport {
    let settings: TransportServer;
    try {
      settings = this.transportSettings(server);
    } catch (error) {
      if (error instanceof SecretError)
        throw new ApiError(ErrorCode.INTERNAL_SERVER_ERROR, `The stored password of SMTP server "${server.name}" cannot be used: ${error.message}`);
      throw error;
    }
    const options = toSmtpTransportOptions(settings);
    return {
      host: options.host,
      port: options.port,
      secure: options.secure,
      requireTLS: Boolean(options.requireTLS),
      ignoreTLS: Boolean(options.ignoreTLS),
      connectionTimeout: options.connectionTimeout,
      greetingTimeout: options.greetingTimeout,
      socketTimeout: options.socketTimeout,
      auth: options.auth ? { user: options.auth.user, pass: options.auth.pass } : null,
      tlsCaPem: settings.tlsCaPem,
    };
  }

  create(input: SmtpServerInput, actor: Actor): Promise<SmtpServer> {
    return this.writes.run(async (manager, write) => {
      const draft = cleanServer({
        name: input.name,
        host: input.host,
        port: input.port,
        protocol: input.protocol ?? SmtpProtocol.SMTP,
        username: input.username ?? null,
        allowTls: input.allowTls ?? false,
        allowSsl: input.allowSsl ?? false,
        requiresAuth: input.requiresAuth ?? false,
        connectionTimeoutMs: input.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
        timeoutMs: input.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        tlsCaPem: input.tlsCaPem ?? null,
        spfHint: input.spfHint ?? null,
        dkimSelectors: input.dkimSelectors ?? [],
        nextServerId: await referencedId(manager, SmtpServer, 'nextServerId', 'SMTP server', input.nextServerId),
      });
      const password = cleanPassword(input.password);
      const row = await manager.save(SmtpServer, stampNew(manager.create(SmtpServer, { ...draft, password: null }), actor, new Date()));
      // The ciphertext is bound to the row id, which exists only after the insert.
      if (password !== null) {
        row.password = this.secrets.seal(password, passwordOwner(row.id));
        await manager.update(SmtpServer, { id: row.id }, { password: row.password });
      }
      await write.record({
        actor: actor.sub,
        action: 'createSmtpServer',
        entityType: 'SmtpServer',
        entityId: row.id,
        before: null,
        after: row,
        secretFields: SECRET_FIELDS,
      });
      return row;
    });
  }

  update(id: string, input: SmtpServerUpdateInput, expectedVersion: number | null | undefined, actor: Actor): Promise<SmtpServer> {
    return this.writes.run(async (manager, write) => {
      const row = await requireRow(manager, SmtpServer, 'SmtpServer', id);
      const before = { ...row };
      for (const key of NOT_CLEARABLE) {
        if (Object.prototype.hasOwnProperty.call(input, key) && input[key] === null) throw new BadInputError(key, `${key} cannot be cleared`);
      }
      const changes: Partial<ServerFields> = {};
      for (const key of PLAIN_FIELDS) {
        if (given(input, key)) (changes as Record<string, unknown>)[key] = input[key];
      }
      if (given(input, 'nextServerId')) {
        const nextServerId = await referencedId(manager, SmtpServer, 'nextServerId', 'SMTP server', input.nextServerId);
        if (nextServerId !== null) await this.assertNoCycle(manager, row.id, nextServerId);
        changes.nextServerId = nextServerId;
      }
      const cleaned = cleanServer({ ...row, ...changes });
      const patch: Partial<SmtpServer> = Object.fromEntries(Object.keys(changes).map((k) => [k, cleaned[k as keyof ServerFields]]));
      const notices: string[] = [];
      if (given(input, 'password')) {
        const password = cleanPassword(input.password);
        patch.password = password === null ? null : this.secrets.seal(password, passwordOwner(row.id));
      } else if (row.password) {
        const moved = DESTINATION_FIELDS.filter((field) => field in patch && patch[field] !== row[field]);
        if (moved.length > 0) {
          patch.password = null;
          notices.push(`The stored password was cleared because ${moved.join(', ')} changed; enter it again to send it to the new destination.`);
        }
      }
      const saved = await saveVersioned(manager, SmtpServer, 'SmtpServer', row, patch, actor, expectedVersion);
      await write.record({
        actor: actor.sub,
        action: 'updateSmtpServer',
        entityType: 'SmtpServer',
        entityId: row.id,
        before,
        after: saved,
        secretFields: SECRET_FIELDS,
      });
      saved.notices = notices;
      return saved;
    });
  }

  delete(id: string, actor: Actor): Promise<string> {
    return this.writes.run(async (manager, write) => {
      const row = await requireRow(manager, SmtpServer, 'SmtpServer', id);
      const usedBy = await this.referrers(manager, row.id);
      if (usedBy.length > 0) throw new InUseError(`SMTP server "${row.name}"`, usedBy);
      await manager.delete(SmtpServer, { id: row.id });
      await write.record({
        actor: actor.sub,
        action: 'deleteSmtpServer',
        entityType: 'SmtpServer',
        entityId: row.id,
        before: row,
        after: null,
        secretFields: SECRET_FIELDS,
      });
      return String(row.id);
    });
  }

  /** Re-encrypts every stored password under the current key; returns how many were rewritten. */
  rotateKeys(): Promise<number> {
    return this.writes.run(async (manager, write) => {
      let rotated = 0;
      for (const server of await manager.find(SmtpServer, { order: { id: 'ASC' } })) {
        if (!server.password || !this.secrets.isStale(server.password)) continue;
        const owner = passwordOwner(server.id);
        let plaintext: string;
        try {
          plaintext = this.secrets.open(server.password, owner);
        } catch (error) {
          throw new SecretError(`SMTP server ${server.id} ("${server.name}"): ${(error as Error).message}; nothing was re-encrypted`);
        }
        const before = { ...server };
        server.password = this.secrets.seal(plaintext, owner);
        await manager.update(SmtpServer, { id: server.id }, { password: server.password });
        // Snapshots keep the ciphertexts; recording the rewrite is what makes every instance pick it up.
        await write.record({
          actor: ROTATION_ACTOR,
          action: 'rotateKeys',
          entityType: 'SmtpServer',
          entityId: server.id,
          before,
          after: server,
          secretFields: SECRET_FIELDS,
        });
        rotated += 1;
      }
      return rotated;
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
