import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Authorized, Field, ID, Int, ObjectType } from 'type-graphql';
import { Capability } from '../auth/access';
import { Audited } from '../common/audited.entity';
import { certificateSubject } from '../mail/transport/ca-pem';
import { SmtpProtocol } from './smtp-server.enums';

function joinSelectors(selectors: string[] | null | undefined): string | undefined {
  return selectors ? selectors.join(',') : undefined;
}

// After an insert TypeORM passes the value it wrote, already a list, through `from` as well.
function splitSelectors(stored: string | string[] | null | undefined): string[] {
  if (Array.isArray(stored)) return stored;
  return stored ? stored.split(',') : [];
}

/** An outgoing mail server (R1). The password column is never exposed as a field. */
@ObjectType()
@Entity({ name: 'smtp_server' })
export class SmtpServer extends Audited {
  @Field(() => ID)
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Field()
  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Field()
  @Column({ type: 'varchar', length: 255 })
  host: string;

  @Field(() => Int)
  @Column({ type: 'int' })
  port: number;

  @Field(() => SmtpProtocol)
  @Column({ type: 'varchar', length: 16, default: SmtpProtocol.SMTP })
  protocol: SmtpProtocol;

  @Authorized(Capability.READ_SERVERS)
  @Field(() => String, { nullable: true, description: 'Not shown to library-admins' })
  @Column({ type: 'varchar', length: 255, nullable: true })
  username: string | null;

  @Column({ type: 'text', nullable: true })
  password: string | null;

  @Field({ description: 'STARTTLS (R1 "allow TLS")' })
  @Column({ type: 'boolean', default: false })
  allowTls: boolean;

  @Field({ description: 'Implicit TLS from the first byte (R1 "allow SSL")' })
  @Column({ type: 'boolean', default: false })
  allowSsl: boolean;

  @Field()
  @Column({ type: 'boolean', default: false })
  requiresAuth: boolean;

  @Field(() => Int)
  @Column({ type: 'int' })
  connectionTimeoutMs: number;

  @Field(() => Int, { description: 'Socket read/write inactivity bound; more than 180000 is recommended (R1)' })
  @Column({ type: 'int' })
  timeoutMs: number;

  @Column({ type: 'int', nullable: true })
  nextServerId: number | null;

  /** A PEM bundle trusted for this server's TLS (D9); the API shows only whether it is set and its subject. */
  @Column({ type: 'text', nullable: true })
  tlsCaPem: string | null;

  @Field(() => String, { nullable: true, description: 'The SPF mechanism that authorises this server, e.g. include:clavius.cz (D13)' })
  @Column({ type: 'varchar', length: 255, nullable: true })
  spfHint: string | null;

  // A short list of labels: a delimited column reads the same on SQLite and MySQL and can have a default.
  @Field(() => [String], {
    description: "DKIM selectors this server signs with for the libraries' domains, e.g. clavius1 (key at clavius1._domainkey.<domain>)",
  })
  @Column({ type: 'varchar', length: 700, default: '', transformer: { to: joinSelectors, from: splitSelectors } })
  dkimSelectors: string[];

  /** What the last write did besides the requested change; set only on mutation results. */
  notices: string[] = [];

  @Field({ description: 'Whether a trusted CA certificate is set for this server' })
  get hasTlsCa(): boolean {
    return Boolean(this.tlsCaPem);
  }

  @Authorized(Capability.READ_SERVERS)
  @Field(() => String, { nullable: true, description: 'Subject of the trusted CA certificate, when one is set; not shown to library-admins' })
  get tlsCaSubject(): string | null {
    if (!this.tlsCaPem) return null;
    try {
      return certificateSubject(this.tlsCaPem);
    } catch {
      return null;
    }
  }

  @Field(() => [String], {
    name: 'notices',
    description: 'On mutation results: side effects of the write, e.g. a password cleared because the destination changed (D12)',
  })
  get writeNotices(): string[] {
    return this.notices ?? [];
  }

  @Field({ description: 'Whether a password is stored; the password itself is write-only.' })
  get hasPassword(): boolean {
    return this.password !== null && this.password !== undefined && this.password !== '';
  }
}
