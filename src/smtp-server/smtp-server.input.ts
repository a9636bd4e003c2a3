import { Field, ID, InputType, Int } from 'type-graphql';
import { SmtpProtocol } from './smtp-server.enums';

export const DEFAULT_CONNECTION_TIMEOUT_MS = 30_000;
export const DEFAULT_TIMEOUT_MS = 180_000;

@InputType()
export class SmtpServerInput {
  @Field()
  name: string;

  @Field()
  host: string;

  @Field(() => Int)
  port: number;

  @Field(() => SmtpProtocol, { nullable: true, defaultValue: SmtpProtocol.SMTP })
  protocol?: SmtpProtocol | null;

  @Field(() => String, { nullable: true })
  username?: string | null;

  @Field(() => String, { nullable: true, description: 'Write-only' })
  password?: string | null;

  @Field(() => Boolean, { nullable: true, defaultValue: false })
  allowTls?: boolean | null;

  @Field(() => Boolean, { nullable: true, defaultValue: false })
  allowSsl?: boolean | null;

  @Field(() => Boolean, { nullable: true, defaultValue: false })
  requiresAuth?: boolean | null;

  @Field(() => Int, { nullable: true, defaultValue: DEFAULT_CONNECTION_TIMEOUT_MS })
  connectionTimeoutMs?: number | null;

  @Field(() => Int, { nullable: true, defaultValue: DEFAULT_TIMEOUT_MS })
  timeoutMs?: number | null;

  @Field(() => ID, { nullable: true })
  nextServerId?: string | null;

  @Field(() => String, { nullable: true, description: "PEM of a CA to trust for this server's TLS, for servers with a private CA (D9)" })
  tlsCaPem?: string | null;

  @Field(() => String, { nullable: true, description: 'One SPF mechanism that authorises this server, e.g. include:clavius.cz (D13)' })
  spfHint?: string | null;

  @Field(() => [String], { nullable: true, description: 'DKIM selectors the server signs with: DNS labels, at most 10; null or [] for none' })
  dkimSelectors?: string[] | null;
}

/** Every field optional: omitted = unchanged, explicit null = cleared. */
@InputType()
export class SmtpServerUpdateInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  host?: string | null;

  @Field(() => Int, { nullable: true })
  port?: number | null;

  @Field(() => SmtpProtocol, { nullable: true })
  protocol?: SmtpProtocol | null;

  @Field(() => String, { nullable: true })
  username?: string | null;

  @Field(() => String, { nullable: true, description: 'Write-only' })
  password?: string | null;

  @Field(() => Boolean, { nullable: true })
  allowTls?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  allowSsl?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  requiresAuth?: boolean | null;

  @Field(() => Int, { nullable: true })
  connectionTimeoutMs?: number | null;

  @Field(() => Int, { nullable: true })
  timeoutMs?: number | null;

  @Field(() => ID, { nullable: true })
  nextServerId?: string | null;

  @Field(() => String, { nullable: true, description: "PEM of a CA to trust for this server's TLS, for servers with a private CA (D9)" })
  tlsCaPem?: string | null;

  @Field(() => String, { nullable: true, description: 'One SPF mechanism that authorises this server, e.g. include:clavius.cz (D13)' })
  spfHint?: string | null;

  @Field(() => [String], { nullable: true, description: 'DKIM selectors the server signs with: DNS labels, at most 10; null or [] for none' })
  dkimSelectors?: string[] | null;
}
