import { createHash } from 'node:crypto';
import type { EffectiveMailConfig } from '../mail/mail-config.types';

/** Fields on entity objects that are not stored data (what the last write did). */
const NOT_DATA = new Set(['notices']);

/** The stored columns of a row: every own scalar, date or list of scalars, by name. */
function columnsOf(row: object | null): unknown {
  if (!row) return null;
  const columns: Array<[string, unknown]> = [];
  for (const [name, value] of Object.entries(row)) {
    if (NOT_DATA.has(name) || (typeof value === 'object' && value !== null && !(value instanceof Date) && !Array.isArray(value))) continue;
    columns.push([name, value instanceof Date ? value.getTime() : value]);
  }
  return columns.sort(([a], [b]) => (a < b ? -1 : 1));
}

/**
 * Everything an effective configuration's answer is made of except its revision: the library and
 * department rows, each server of the chain with all its columns and its health status, the
 * sender, the trace, the problems and `stale`. Equal fingerprints mean an equal answer, so a
 * write elsewhere (which moves the revision) sends nothing. Hashed: the rows hold ciphertexts, and
 * a subscriber needs to keep only a few bytes.
 */
export function fingerprintOf(config: EffectiveMailConfig, health: (serverId: number) => string): string {
  const parts = [
    config.purpose,
    columnsOf(config.library),
    columnsOf(config.department),
    config.servers.map((server) => [columnsOf(server), health(server.id)]),
    config.sender,
    config.trace,
    config.problems.map((p) => [p.code, p.severity, p.message, p.server?.id ?? null]),
    config.stale,
  ];
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64');
}
