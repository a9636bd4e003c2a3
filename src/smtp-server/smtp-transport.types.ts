import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType()
export class SmtpAuth {
  @Field()
  user: string;

  @Field()
  pass: string;
}

@ObjectType({ description: 'Decrypted, nodemailer-ready transport settings; only for services with the mail:credentials scope (D12)' })
export class SmtpTransport {
  @Field()
  host: string;

  @Field(() => Int)
  port: number;

  @Field()
  secure: boolean;

  @Field()
  requireTLS: boolean;

  @Field()
  ignoreTLS: boolean;

  @Field(() => Int)
  connectionTimeout: number;

  @Field(() => Int)
  greetingTimeout: number;

  @Field(() => Int)
  socketTimeout: number;

  @Field(() => SmtpAuth, { nullable: true })
  auth: SmtpAuth | null;

  @Field(() => String, { nullable: true })
  tlsCaPem: string | null;
}
