import { BadInputError } from '../common/errors';
import type { GatewayContext } from '../context';
import type { Loaders } from '../loaders.type';
import { historicalSnapshotOf, loadersOfSnapshot } from './historical-rows';

/**
 * The loaders a field of `root` reads through: those of the historical snapshot `root` came from,
 * so that everything beneath an answer with `at` is of that moment too; the request's own otherwise.
 */
export function loadersFor(ctx: GatewayContext, root: object): Loaders {
  const snapshot = historicalSnapshotOf(root);
  return snapshot ? loadersOfSnapshot(ctx, snapshot) : ctx.loaders;
}

/** For a field with its own `at`: the configuration at that moment, else the one `root` came from. */
export function loadersAtOrFor(ctx: GatewayContext, root: object, at: Date | null | undefined): Promise<Loaders> {
  return at === null || at === undefined ? Promise.resolve(loadersFor(ctx, root)) : ctx.services.history.loadersAt(ctx, at);
}

/** Credentials are served for the configuration in force only: a server of the past may have had other ones. */
export function refuseHistorical(row: object): void {
  if (historicalSnapshotOf(row)) {
    throw new BadInputError('at', 'Credentials are never served from history: ask for transport without at');
  }
}

/** An answer about a moment names it; one about the current configuration has asOf null. */
export function asOf<T extends { asOf: Date | null }>(answer: T, at: Date | null | undefined): T {
  return { ...answer, asOf: at ?? null };
}
