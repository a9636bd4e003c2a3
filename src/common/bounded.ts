import { Logger } from './logger';

/** Waits for `work` at most `ms`; past that, says so and goes on without it. */
export async function bounded(logger: Logger, what: string, work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  try {
    const outcome = await Promise.race([work.then(() => 'done' as const), late]);
    if (outcome === 'late') logger.log('warn', `${what} did not finish in time; continuing the shutdown`, { waitedMs: ms });
  } catch (error) {
    logger.log('warn', `${what} failed; continuing the shutdown`, { error: error instanceof Error ? error.message : String(error) });
  } finally {
    clearTimeout(timer);
  }
}
