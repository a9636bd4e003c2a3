import { AuditEntry } from '../audit/audit-entry.entity';
import { Department } from '../department/department.entity';
import { Library } from '../library/library.entity';
import { SettingDefinition } from '../settings/setting-definition.entity';
import { SettingValue } from '../settings/setting-value.entity';
import { SmtpServer } from '../smtp-server/smtp-server.entity';

export const entities = [SmtpServer, Library, Department, SettingDefinition, SettingValue, AuditEntry];
