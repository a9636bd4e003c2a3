import { registerEnumType } from 'type-graphql';

export enum SettingScope {
  GLOBAL = 'GLOBAL',
  LIBRARY = 'LIBRARY',
  DEPARTMENT = 'DEPARTMENT',
}

export enum SettingValueType {
  STRING = 'STRING',
  INT = 'INT',
  BOOLEAN = 'BOOLEAN',
  EMAIL = 'EMAIL',
  SMTP_SERVER = 'SMTP_SERVER',
}

/** Built-in definitions (D3); they are seeded by the initial migration and cannot be deleted. */
export const BuiltInSetting = {
  DEFAULT_SMTP_SERVER: 'DEFAULT_SMTP_SERVER',
  ILS_SMTP_SERVER: 'ILS_SMTP_SERVER',
  ILS_EMAIL: 'ILS_EMAIL',
} as const;

registerEnumType(SettingScope, { name: 'SettingScope' });
registerEnumType(SettingValueType, { name: 'SettingValueType' });
