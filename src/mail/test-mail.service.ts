import { randomUUID } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { Capability } from '../auth/access';
import { Identity } from '../auth/identity';
import { BadInputError } from '../common/errors';
import { Logger } from '../common/logger';
import { RateLimiter } from '../common/rate-limiter';
import { Metrics } from '../observability/metrics';
import { cleanEmail, cleanText } from '../common/text';
import type { Loaders } from '../loaders.type';
import { Department } from '../department/department.entity';
import { loadScopeTarget } from '../auth/scope-target';
import { Library } from '../library/library.entity';
import { SecretError } from '../secrets/secret-box';
import { SmtpServer } from '../smtp-server/smtp-server.entity';
import { SmtpServerService } from '../smtp-server/smtp-server.service';
import { MailPurpose, ProblemSeverity } from './mail.enums';
import { MailConfigService } from './mail-config.service';
import { ProblemCode } from './resolve-mail-config';
import { EffectiveMailConfig, MailSender } from './mail-config.types';
import { SendTestMailInput, SmtpCheck, SmtpCheckStage, TestMailResult } from './test-mail.types';
import { MailErrorCode } from './transport/classify-error';
import { OutgoingMessage } from './transport/compose-message';
import { HostLookup, systemLookup } from './transport/resolve-destination';
import { Refusal, sendThroughChain } from './transport/send-through-chain';
import { TransportServer } from './transport/smtp-transport';
import { verifySmtpServer, VerifyResult } from './transport/verify-smtp-server';

const MAX_TEXT = 10_000;

export interface TestMailOptions {
  /** One budget per identity for test mails and server checks together (TEST_MAIL_RATE_PER_MINUTE). */
  limiter: RateLimiter;
  logger: Logger;
  metrics: Metrics;
  audit: AuditService;
  /** How SMTP host names are resolved; the system resolver unless configured. */
  lookup?: HostLookup;
  /** Where every server check is kept: a manual check counts towards the server's health too. */
  checks?: { record(serverId: number, result: VerifyResult): Promise<{ checkedAt: number }> };
}

function describeTest(
  library: Library,
  department: Department | null,
  purpose: MailPurpose,
  sender: MailSender,
  server: TransportServer,
  userText: string | null,
): string {
  const lines = [
    'This is a test message from the mail configuration gateway.',
    '',
    `Library:     ${library.name} (${library.code})`,
    `Department:  ${department ? department.name : '(none)'}`,
    `Purpose:     ${purpose}`,
    `SMTP server: ${server.name} (${server.host}:${server.port})`,
    `Sender:      ${sender.formatted}`,
  ];
  if (userText) lines.push('', userText);
  return `${lines.join('\n')}\n`;
}

/** Proves a configuration over real SMTP: a test message through the resolved chain, or one server's login. */
export class TestMailService {
  constructor(
    private readonly smtpServers: SmtpServerService,
    private readonly mailConfig: MailConfigService,
    private readonly options: TestMailOptions,
  ) {}

  async send(loaders: Loaders, identity: Identity, input: SendTestMailInput): Promise<TestMailResult> {
    const { library, department } = await loadScopeTarget(loaders, identity, Capability.SEND_TEST_MAIL, input.libraryId, input.departmentId);
    const to = cleanEmail('to', input.to, true) as string;
    const subject = cleanText('subject', input.subject, { maxLength: 200 });
    if (input.text && input.text.length > MAX_TEXT) throw new BadInputError('text', `text must be at most ${MAX_TEXT} characters long`);
    if (input.text?.includes('\0')) throw new BadInputError('text', 'text must not contain NUL characters');
    const purpose = input.purpose ?? MailPurpose.GENERAL;
    const config = await this.mailConfig.resolve(loaders, library, department, purpose);
    // A server that is down is no reason to refuse: a test mail is how support sees it is back.
    const errors = config.problems.filter((p) => p.severity === ProblemSeverity.ERROR && p.code !== ProblemCode.SERVER_DOWN);
    if (errors.length > 0) {
      throw new BadInputError(
        department ? 'departmentId' : 'libraryId',
        `The mail configuration has errors, so no test mail was sent: ${errors.map((p) => `${p.code}: ${p.message}`).join(' ')}`,
      );
    }
    await this.options.limiter.take(identity.sub, 'test mails or server checks');
    const result = await this.deliver(config, to, subject, input.text ?? null);
    await this.options.audit.record({
      actor: identity.sub,
      action: 'sendTestMail',
      entityType: department ? 'Department' : 'Library',
      entityId: department ? department.id : library.id,
      libraryId: library.id,
      before: null,
      after: { purpose, recipient: to, delivered: result.ok, deliveredBy: result.deliveredBy?.name ?? null },
    });
    return result;
  }

  async verify(server: SmtpServer, identity: Identity): Promise<SmtpCheck> {
    // One budget per identity for both: each opens a connection to a destination of the caller's choosing.
    await this.options.limiter.take(identity.sub, 'test mails or server checks');
    const result = await this.probe(server);
    const recorded = await this.options.checks?.record(server.id, result);
    this.options.logger.log('info', 'verified SMTP server', {
      serverId: server.id,
      ok: result.ok,
      stage: result.reachedStage,
      errorCode: result.errorCode,
      durationMs: result.durationMs,
    });
    await this.options.audit.record({
      actor: identity.sub,
      action: 'verifySmtpServer',
      entityType: 'SmtpServer',
      entityId: server.id,
      before: null,
      after: { reachedStage: result.reachedStage, ok: result.ok, errorCode: result.errorCode },
    });
    return { ...result, server, reachedStage: result.reachedStage as SmtpCheckStage, checkedAt: new Date(recorded?.checkedAt ?? Date.now()) };
  }

  /** Connect, greet, TLS, login, quit: never a message. The destination rules of test mails apply. */
  async probe(server: SmtpServer): Promise<VerifyResult> {
    const { settings, refusals } = this.prepare([server]);
    return verifySmtpServer(settings[0], { precheck: (s) => this.precheck(s, refusals), lookup: this.lookup });
  }

  private async deliver(config: EffectiveMailConfig, to: string, subject: string | null, userText: string | null): Promise<TestMailResult> {
    const sender = config.sender as MailSender;
    const { settings, refusals } = this.prepare(config.servers);
    const messageId = `<${randomUUID()}@${sender.address.split('@')[1]}>`;
    const message = (server: TransportServer): OutgoingMessage => ({
      from: sender.formatted,
      envelopeFrom: sender.address,
      to,
      subject: subject ?? `Test mail from ${config.library.name}`,
      text: describeTest(config.library, config.department, config.purpose, sender, server, userText),
      messageId,
      headers: { 'X-Mail-Purpose': config.purpose },
    });
    const result = await sendThroughChain(settings, message, { precheck: (s) => this.precheck(s, refusals), lookup: this.lookup });
    const byId = new Map(config.servers.map((s) => [s.id, s]));
    for (const attempt of result.attempts) {
      this.options.metrics.testMailAttempt(attempt.errorCode);
      this.options.logger.log(attempt.ok ? 'info' : 'warn', 'test mail attempt', {
        serverId: attempt.serverId,
        ok: attempt.ok,
        errorCode: attempt.errorCode,
        responseCode: attempt.responseCode,
        durationMs: attempt.durationMs,
      });
    }
    return {
      ok: result.ok,
      messageId: result.messageId,
      deliveredBy: result.deliveredBy === null ? null : (byId.get(result.deliveredBy) ?? null),
      sender,
      recipient: to,
      attempts: result.attempts.map((a) => ({ ...a, server: chainServer(byId, a.serverId) })),
      config,
    };
  }

  /** Decrypts each server's password up front; one that does not decrypt is refused, not fatal. */
  private prepare(servers: SmtpServer[]): { settings: TransportServer[]; refusals: Map<number, Refusal> } {
    const refusals = new Map<number, Refusal>();
    const settings = servers.map((server) => {
      try {
        return this.smtpServers.transportSettings(server);
      } catch (error) {
        if (!(error instanceof SecretError)) throw error;
        refusals.set(server.id, {
          code: MailErrorCode.AUTH_FAILED,
          message: `The stored password of "${server.name}" cannot be used: ${error.message}. Enter the password again.`,
        });
        return this.smtpServers.transportSettings({ ...server, password: null });
      }
    });
    return { settings, refusals };
  }

  /** The destination guard runs in the session itself, on the addresses it is about to connect to. */
  private async precheck(server: TransportServer, refusals: Map<number, Refusal>): Promise<Refusal | null> {
    return refusals.get(server.id) ?? null;
  }

  private get lookup(): HostLookup {
    return this.options.lookup ?? systemLookup;
  }
}

/** Every attempt is made through a server of the resolved chain; anything else is a bug, not a null. */
function chainServer(byId: ReadonlyMap<number, SmtpServer>, id: number): SmtpServer {
  const server = byId.get(id);
  if (!server) throw new Error(`A delivery attempt names server ${id}, which is not in the resolved chain`);
  return server;
}
