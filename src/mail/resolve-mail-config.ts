import { ResolutionOutcome, ResolutionSource, ResolutionTarget, Step, step } from '../common/resolution';
import { DefinitionData, lookupSetting, ValueData } from '../settings/setting-lookup';
import { BuiltInSetting } from '../settings/setting.enums';
import { formatMailbox } from './format-sender';
import { ServerHealthStatus } from '../health/health.enums';
import { MailPurpose, ProblemSeverity } from './mail.enums';

/**
 * The effective mail configuration (D4-D8) as a pure function of a configuration snapshot:
 * no database, clock or network, so every rule is covered by table-driven tests.
 */

export interface ServerData {
  id: number;
  name: string;
  username: string | null;
  hasPassword: boolean;
  allowTls: boolean;
  allowSsl: boolean;
  requiresAuth: boolean;
  timeoutMs: number;
  nextServerId: number | null;
}

export interface LibraryData {
  id: number;
  shortName: string | null;
  contactEmail: string | null;
  smtpServerId: number | null;
}

export interface DepartmentData {
  id: number;
  email: string | null;
  smtpServerId: number | null;
}

export interface MailSnapshot<S extends ServerData = ServerData> {
  library: LibraryData;
  department: DepartmentData | null;
  server(id: number): S | undefined;
  definition(key: string): DefinitionData | undefined;
  /** Setting values at the scopes of this library and department and at global scope. */
  values: readonly ValueData[];
  /** The servers' latest health, from the probes; not configuration, but an input all the same. */
  health?: (serverId: number) => ServerHealthStatus;
}

export interface Problem {
  code: ProblemCode;
  severity: ProblemSeverity;
  message: string;
  serverId: number | null;
}

export interface Sender {
  address: string;
  name: string | null;
  formatted: string;
}

export interface ResolvedMailConfig<S extends ServerData = ServerData> {
  purpose: MailPurpose;
  servers: S[];
  sender: Sender | null;
  trace: Step[];
  problems: Problem[];
}

export enum ProblemCode {
  NO_SMTP_SERVER = 'NO_SMTP_SERVER',
  NO_SENDER = 'NO_SENDER',
  CHAIN_CYCLE = 'CHAIN_CYCLE',
  CHAIN_TOO_LONG = 'CHAIN_TOO_LONG',
  TIMEOUT_BELOW_RECOMMENDED = 'TIMEOUT_BELOW_RECOMMENDED',
  SSL_AND_TLS_BOTH_SET = 'SSL_AND_TLS_BOTH_SET',
  AUTH_WITHOUT_CREDENTIALS = 'AUTH_WITHOUT_CREDENTIALS',
  CREDENTIALS_IN_CLEARTEXT = 'CREDENTIALS_IN_CLEARTEXT',
  SERVER_DOWN = 'SERVER_DOWN',
}

export const MAX_CHAIN_LENGTH = 10;
export const RECOMMENDED_TIMEOUT_MS = 180_000;

/** Where a value may come from. Each purpose lists its sources per target, most specific first. */
type Source =
  | {
      kind: 'field';
      source: ResolutionSource.DEPARTMENT | ResolutionSource.LIBRARY;
      field: string;
      read: (s: MailSnapshot) => string | number | null | undefined;
    }
  | { kind: 'setting'; key: string }
  | { kind: 'ignored'; source: ResolutionSource; field: string; note: string };

interface PurposeRules {
  server: Source[];
  senderAddress: Source[];
  senderName: Source[];
}

const departmentServer: Source = {
  kind: 'field',
  source: ResolutionSource.DEPARTMENT,
  field: 'Department.smtpServer',
  read: (s) => s.department?.smtpServerId,
};
const libraryServer: Source = { kind: 'field', source: ResolutionSource.LIBRARY, field: 'Library.smtpServer', read: (s) => s.library.smtpServerId };
const defaultServer: Source = { kind: 'setting', key: BuiltInSetting.DEFAULT_SMTP_SERVER };
const departmentEmail: Source = { kind: 'field', source: ResolutionSource.DEPARTMENT, field: 'Department.email', read: (s) => s.department?.email };
const libraryEmail: Source = { kind: 'field', source: ResolutionSource.LIBRARY, field: 'Library.contactEmail', read: (s) => s.library.contactEmail };
const libraryShortName: Source = { kind: 'field', source: ResolutionSource.LIBRARY, field: 'Library.shortName', read: (s) => s.library.shortName };

/** D1: one entry per purpose. A new purpose is a new entry here and nothing else. */
export const PURPOSE_RULES: Record<MailPurpose, PurposeRules> = {
  [MailPurpose.GENERAL]: {
    server: [departmentServer, libraryServer, defaultServer],
    senderAddress: [departmentEmail, libraryEmail],
    senderName: [libraryShortName],
  },
  [MailPurpose.INTERLIBRARY_LOAN]: {
    server: [
      {
        kind: 'ignored',
        source: ResolutionSource.DEPARTMENT,
        field: 'Department.smtpServer',
        note: 'the department server is not used for interlibrary loan (R6)',
      },
      { kind: 'setting', key: BuiltInSetting.ILS_SMTP_SERVER },
      libraryServer,
      defaultServer,
    ],
    senderAddress: [
      { kind: 'ignored', source: ResolutionSource.DEPARTMENT, field: 'Department.email', note: 'the department e-mail is not used for interlibrary loan (R9)' },
      { kind: 'setting', key: BuiltInSetting.ILS_EMAIL },
      libraryEmail,
    ],
    senderName: [libraryShortName],
  },
};

function blank(value: string | number | null | undefined): boolean {
  return value === null || value === undefined || (typeof value === 'string' && value.trim() === '');
}

/**
 * Walks the sources of one target in order and returns the first value found, with a step for
 * every source looked at. `accept` turns a raw value into a result, or a reason it is unusable.
 */
function firstValue<T>(
  snapshot: MailSnapshot,
  target: ResolutionTarget,
  sources: Source[],
  accept: (raw: string | number) => { result: T; display: string } | { unusable: string },
  trace: Step[],
): T | null {
  for (const source of sources) {
    if (source.kind === 'ignored') {
      trace.push(step(target, source.source, source.field, ResolutionOutcome.SKIPPED, null, source.note));
      continue;
    }
    if (source.kind === 'field') {
      if (source.source === ResolutionSource.DEPARTMENT && snapshot.department === null) {
        trace.push(step(target, source.source, source.field, ResolutionOutcome.SKIPPED, null, 'no department given'));
        continue;
      }
      const raw = source.read(snapshot);
      if (blank(raw)) {
        trace.push(step(target, source.source, source.field, ResolutionOutcome.EMPTY, null, null));
        continue;
      }
      const accepted = accept(raw as string | number);
      if ('unusable' in accepted) {
        trace.push(step(target, source.source, source.field, ResolutionOutcome.SKIPPED, String(raw), accepted.unusable));
        continue;
      }
      trace.push(step(target, source.source, source.field, ResolutionOutcome.USED, accepted.display, null));
      return accepted.result;
    }
    const definition = snapshot.definition(source.key);
    if (!definition) {
      trace.push({
        target,
        source: ResolutionSource.GLOBAL_SETTING,
        field: source.key,
        outcome: ResolutionOutcome.SKIPPED,
        value: null,
        note: `the setting ${source.key} is not defined`,
      });
      continue;
    }
    const context = { libraryId: snapshot.library.id, departmentId: snapshot.department?.id ?? null };
    const found = lookupSetting(definition, snapshot.values, context, { target });
    if (found.value === null) {
      for (const looked of found.trace) trace.push(looked);
      continue;
    }
    const accepted = accept(found.value.value as string);
    const used = found.trace[found.trace.length - 1];
    for (let i = 0; i < found.trace.length - 1; i++) trace.push(found.trace[i]);
    if ('unusable' in accepted) {
      trace.push(step(used.target, used.source, used.field, ResolutionOutcome.SKIPPED, used.value, accepted.unusable));
      continue;
    }
    trace.push(step(used.target, used.source, used.field, used.outcome, accepted.display, used.note));
    return accepted.result;
  }
  return null;
}

function serverProblems(server: ServerData): Problem[] {
  const problems: Problem[] = [];
  const add = (code: ProblemCode, severity: ProblemSeverity, message: string) => problems.push({ code, severity, message, serverId: server.id });
  if (server.timeoutMs < RECOMMENDED_TIMEOUT_MS) {
    add(
      ProblemCode.TIMEOUT_BELOW_RECOMMENDED,
      ProblemSeverity.WARNING,
      `SMTP server "${server.name}" has a socket timeout of ${server.timeoutMs} ms; more than ${RECOMMENDED_TIMEOUT_MS} ms is recommended, or slow servers cut sending off.`,
    );
  }
  if (server.allowSsl && server.allowTls) {
    add(
      ProblemCode.SSL_AND_TLS_BOTH_SET,
      ProblemSeverity.WARNING,
      `SMTP server "${server.name}" has both "allow SSL" and "allow TLS" checked; implicit TLS (SSL) is used and STARTTLS is ignored. Check only the one the server uses.`,
    );
  }
  if (server.requiresAuth && (!server.username || !server.hasPassword)) {
    const missing = [!server.username && 'username', !server.hasPassword && 'password'].filter(Boolean).join(' and ');
    add(
      ProblemCode.AUTH_WITHOUT_CREDENTIALS,
      ProblemSeverity.ERROR,
      `SMTP server "${server.name}" requires authentication but has no ${missing}; sending through it fails until the ${missing} ${missing.includes(' and ') ? 'are' : 'is'} entered.`,
    );
  }
  if (server.requiresAuth && !server.allowSsl && !server.allowTls) {
    add(
      ProblemCode.CREDENTIALS_IN_CLEARTEXT,
      ProblemSeverity.WARNING,
      `SMTP server "${server.name}" logs in without SSL or TLS, so the password may cross the network unencrypted. Check "allow TLS" or "allow SSL" if the server supports it.`,
    );
  }
  return problems;
}

function nextStep(outcome: ResolutionOutcome, value: string, note: string): Step {
  return step(ResolutionTarget.SMTP_SERVER, ResolutionSource.NEXT_SERVER, 'SmtpServer.nextServer', outcome, value, note);
}

/** D5: the resolved server, then its next server, and so on. */
function followChain<S extends ServerData>(snapshot: MailSnapshot<S>, first: S, trace: Step[], problems: Problem[]): S[] {
  const chain: S[] = [first];
  let current = first;
  while (current.nextServerId !== null) {
    const next = snapshot.server(current.nextServerId);
    if (!next) {
      trace.push(nextStep(ResolutionOutcome.SKIPPED, String(current.nextServerId), `the next server of "${current.name}" does not exist`));
      break;
    }
    if (chain.some((s) => s.id === next.id)) {
      trace.push(nextStep(ResolutionOutcome.SKIPPED, next.name, `"${next.name}" is already in the chain (cycle after "${current.name}")`));
      problems.push({
        code: ProblemCode.CHAIN_CYCLE,
        severity: ProblemSeverity.WARNING,
        serverId: current.id,
        message: `The next server of "${current.name}" is "${next.name}", which is already in the chain; the chain stops before it. Correct the next server of "${current.name}".`,
      });
      break;
    }
    if (chain.length === MAX_CHAIN_LENGTH) {
      trace.push(nextStep(ResolutionOutcome.SKIPPED, next.name, `the chain is limited to ${MAX_CHAIN_LENGTH} servers`));
      problems.push({
        code: ProblemCode.CHAIN_TOO_LONG,
        severity: ProblemSeverity.WARNING,
        serverId: current.id,
        message: `The chain is longer than ${MAX_CHAIN_LENGTH} servers; servers after "${current.name}" are not tried.`,
      });
      break;
    }
    trace.push(nextStep(ResolutionOutcome.USED, next.name, `next server of "${current.name}"`));
    chain.push(next);
    current = next;
  }
  return chain;
}

/**
 * A DOWN server is a warning while a later server of the chain is UP (mail still goes out, later),
 * an error when none is. UNKNOWN is not counted as a live fallback: nothing says it would work.
 */
function downProblems(servers: ServerData[], health: (serverId: number) => ServerHealthStatus): Problem[] {
  const problems: Problem[] = [];
  servers.forEach((server, index) => {
    if (health(server.id) !== ServerHealthStatus.DOWN) return;
    const fallback = servers.slice(index + 1).find((s) => health(s.id) === ServerHealthStatus.UP);
    problems.push({
      code: ProblemCode.SERVER_DOWN,
      severity: fallback ? ProblemSeverity.WARNING : ProblemSeverity.ERROR,
      serverId: server.id,
      message: fallback
        ? `SMTP server "${server.name}" is down (its last checks failed); mail goes out through "${fallback.name}" instead, later than usual.`
        : `SMTP server "${server.name}" is down (its last checks failed) and no later server of the chain is up, so mail is not delivered.`,
    });
  });
  return problems;
}

export function resolveMailConfig<S extends ServerData>(snapshot: MailSnapshot<S>, purpose: MailPurpose): ResolvedMailConfig<S> {
  const rules = PURPOSE_RULES[purpose];
  const trace: Step[] = [];
  const problems: Problem[] = [];

  const first = firstValue<S>(
    snapshot,
    ResolutionTarget.SMTP_SERVER,
    rules.server,
    (raw) => {
      const server = snapshot.server(Number(raw));
      return server ? { result: server, display: server.name } : { unusable: `SMTP server ${raw} does not exist` };
    },
    trace,
  );
  const servers = first ? followChain(snapshot, first, trace, problems) : [];
  if (!first) {
    problems.push({
      code: ProblemCode.NO_SMTP_SERVER,
      severity: ProblemSeverity.ERROR,
      serverId: null,
      message:
        purpose === MailPurpose.INTERLIBRARY_LOAN
          ? "No SMTP server is configured for interlibrary loan: set ILS_SMTP_SERVER or the library's SMTP server, or the global DEFAULT_SMTP_SERVER."
          : 'No SMTP server is configured: pick one for the department or the library, or set the global DEFAULT_SMTP_SERVER.',
    });
  }
  for (const server of servers) for (const problem of serverProblems(server)) problems.push(problem);
  if (snapshot.health) for (const problem of downProblems(servers, snapshot.health)) problems.push(problem);

  const address = firstValue<string>(
    snapshot,
    ResolutionTarget.SENDER_ADDRESS,
    rules.senderAddress,
    (raw) => ({ result: String(raw).trim(), display: String(raw).trim() }),
    trace,
  );
  const name = firstValue<string>(
    snapshot,
    ResolutionTarget.SENDER_NAME,
    rules.senderName,
    (raw) => ({ result: String(raw).trim(), display: String(raw).trim() }),
    trace,
  );
  if (!address) {
    problems.push({
      code: ProblemCode.NO_SENDER,
      severity: ProblemSeverity.ERROR,
      serverId: null,
      message:
        purpose === MailPurpose.INTERLIBRARY_LOAN
          ? "No sender address for interlibrary loan: set ILS_EMAIL or the library's contact e-mail."
          : "No sender address: fill in the library's contact e-mail (or the department's e-mail).",
    });
  }
  const sender = address ? { address, name, formatted: formatMailbox(address, name) } : null;
  return { purpose, servers, sender, trace, problems };
}
