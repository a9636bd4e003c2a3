import { registerEnumType } from 'type-graphql';

/** The vocabulary of resolution traces (D7), shared by settings and mail resolution. */
export enum ResolutionTarget {
  SMTP_SERVER = 'SMTP_SERVER',
  SENDER_ADDRESS = 'SENDER_ADDRESS',
  SENDER_NAME = 'SENDER_NAME',
  SETTING = 'SETTING',
}

export enum ResolutionSource {
  DEPARTMENT = 'DEPARTMENT',
  LIBRARY = 'LIBRARY',
  DEPARTMENT_SETTING = 'DEPARTMENT_SETTING',
  LIBRARY_SETTING = 'LIBRARY_SETTING',
  GLOBAL_SETTING = 'GLOBAL_SETTING',
  NEXT_SERVER = 'NEXT_SERVER',
}

export enum ResolutionOutcome {
  USED = 'USED',
  EMPTY = 'EMPTY',
  SKIPPED = 'SKIPPED',
}

export interface Step {
  target: ResolutionTarget;
  source: ResolutionSource;
  field: string;
  outcome: ResolutionOutcome;
  value: string | null;
  note: string | null;
}

/** Builds a step with one fixed shape; object spreads on this hot path cost more than the resolution itself. */
export function step(
  target: ResolutionTarget,
  source: ResolutionSource,
  field: string,
  outcome: ResolutionOutcome,
  value: string | null,
  note: string | null,
): Step {
  return { target, source, field, outcome, value, note };
}

registerEnumType(ResolutionTarget, { name: 'ResolutionTarget' });
registerEnumType(ResolutionSource, { name: 'ResolutionSource' });
registerEnumType(ResolutionOutcome, { name: 'ResolutionOutcome' });
