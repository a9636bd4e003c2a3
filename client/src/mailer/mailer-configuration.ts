import { GatewayError, type GatewayErrorDetail } from '../errors';
import type { MailerConfigFieldsFragment } from '../generated/graphql';
import type { MailerConfiguration } from './mailer.types';

/** Codes that mean this identity cannot send at all; never narrowed to one server. */
const IDENTITY_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN']);

/**
 * Turns an answer (query or change event) into the configuration a mailer sends with. An error on
 * one server's `transport` (its password does not decrypt) stays on that server, as the gateway's
 * test mail does; any other error, and a missing scope, is thrown.
 */
export function toMailerConfiguration(
  config: MailerConfigFieldsFragment | null | undefined,
  errors: readonly GatewayErrorDetail[],
  status: number | null = null,
): MailerConfiguration {
  const perServer = new Map<number, string>();
  const fatal: GatewayErrorDetail[] = [];
  for (const error of errors) {
    const index = transportIndex(error.path);
    if (index === null || IDENTITY_CODES.has(error.code)) fatal.push(error);
    else perServer.set(index, error.message);
  }
  if (fatal.length > 0 || !config) throw new GatewayError(fatal.length > 0 ? fatal : errors, { status });
  return {
    purpose: config.purpose,
    revision: config.revision,
    stale: config.stale,
    sender: config.sender,
    problems: config.problems,
    servers: config.servers.map((server, index) => ({
      id: server.id,
      name: server.name,
      host: server.host,
      port: server.port,
      transport: server.transport,
      unavailable: server.transport ? null : (perServer.get(index) ?? 'The gateway gave no transport settings for this server'),
    })),
  };
}

/** The index of the server when the path is `<root>.servers.<index>.transport[...]`. */
function transportIndex(path: ReadonlyArray<string | number> | null): number | null {
  if (!path || path.length < 4 || path[1] !== 'servers' || path[3] !== 'transport') return null;
  return typeof path[2] === 'number' ? path[2] : null;
}
