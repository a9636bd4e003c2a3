import { InitialSchema1764201600000 } from './1764201600000-InitialSchema';
import { SmtpServerTrustedCa1764288000000 } from './1764288000000-SmtpServerTrustedCa';
import { AuditTrail1764374400000 } from './1764374400000-AuditTrail';
import { SmtpServerSpfHint1764460800000 } from './1764460800000-SmtpServerSpfHint';
import { ConfigRevision1764547200000 } from './1764547200000-ConfigRevision';
import { RateLimit1764633600000 } from './1764633600000-RateLimit';
import { SmtpServerDkimSelectors1764727200000 } from './1764727200000-SmtpServerDkimSelectors';
import { SmtpHealth1764806400000 } from './1764806400000-SmtpHealth';
import { ConfigHistory1764892800000 } from './1764892800000-ConfigHistory';

/** Every migration, in order. A new migration is added here as well as in its own file. */
export const migrations = [
  InitialSchema1764201600000,
  SmtpServerTrustedCa1764288000000,
  AuditTrail1764374400000,
  SmtpServerSpfHint1764460800000,
  ConfigRevision1764547200000,
  RateLimit1764633600000,
  SmtpServerDkimSelectors1764727200000,
  SmtpHealth1764806400000,
  ConfigHistory1764892800000,
];
