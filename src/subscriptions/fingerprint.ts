import { createHash } from 'node:crypto';
import type { EffectiveMailConfig } from '../mail/mail-config.types';

/** Snapshot rows are immutable and replaced on reload: a row's text is made once, however many chains hold it. */
const rowTexts = new WeakMap<object, string>();

function rowText(row: object): string {
  let text = rowTexts.get(row);
  if (text === undefined) {
    text = JSON.stringify(row);
    rowTexts.set(row, text);
  }
  return text;
}

/**
 * Everything an effective configuration's answer is made of except its revision: the library and
 * department rows, each server of the chain with all its columns and its health status, the
 * sender, the trace, the problems and `stale`. Equal fingerprints mean an equal answer, so a
 * write elsewhere (which moves the revision) sends nothing. Rows are serialised whole (their own
 * fields are their columns; relations are never loaded on them), natively, since thousands of
 * subscriptions fingerprint once per key on every change. Hashed: the rows hold ciphertexts, and
 * a subscriber needs to keep only a few bytes.
 */
export function fingerprintOf(config: EffectiveMailConfig, health: (serverId: number) => string): string {
  const parts = [
    config.purpose,
    rowText(config.library),
    config.department && rowText(config.department),
    config.servers.map((server) => [rowText(server), health(server.id)]),
    config.sender,
    config.trace,
    config.problems.map((p) => [p.code, p.severity, p.message, p.server?.id ?? null]),
    config.stale,
  ];
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64');
}
