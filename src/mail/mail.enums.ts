import { registerEnumType } from 'type-graphql';

export enum MailPurpose {
  GENERAL = 'GENERAL',
  INTERLIBRARY_LOAN = 'INTERLIBRARY_LOAN',
}

export enum ProblemSeverity {
  ERROR = 'ERROR',
  WARNING = 'WARNING',
  INFO = 'INFO',
}

registerEnumType(MailPurpose, { name: 'MailPurpose', description: 'What the mail is for (D1)' });
registerEnumType(ProblemSeverity, { name: 'ProblemSeverity' });
