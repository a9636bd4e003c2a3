import { registerEnumType } from 'type-graphql';

export enum SmtpProtocol {
  SMTP = 'SMTP',
}

registerEnumType(SmtpProtocol, { name: 'SmtpProtocol', description: 'Only SMTP is supported (R1).' });
