import { CheckRecord, deriveHealth } from '../../src/health/derive-health';
import { ServerHealthStatus } from '../../src/health/health.enums';

let nextId = 1;
const check = (ok: boolean): CheckRecord => ({
  id: nextId++,
  serverId: 1,
  checkedAt: nextId * 1000,
  ok,
  reachedStage: ok ? 'DONE' : 'CONNECT',
  errorCode: ok ? null : 'CONNECTION_FAILED',
  responseCode: null,
  enhancedStatus: null,
  message: null,
  durationMs: 5,
});

/** DOWN after two consecutive failures, UP after one success, UNKNOWN before either (newest first). */
describe('deriveHealth', () => {
  it.each<[string, boolean[], ServerHealthStatus, number]>([
    ['no checks yet', [], ServerHealthStatus.UNKNOWN, 0],
    ['one failure and nothing before', [false], ServerHealthStatus.UNKNOWN, 1],
    ['one success', [true], ServerHealthStatus.UP, 0],
    ['one failure after a success stays UP', [false, true], ServerHealthStatus.UP, 1],
    ['two failures in a row', [false, false, true], ServerHealthStatus.DOWN, 2],
    ['one success after failures', [true, false, false, false], ServerHealthStatus.UP, 0],
  ])('%s', (_name, oks, status, failures) => {
    const derived = deriveHealth(oks.map(check));
    expect(derived.status).toBe(status);
    expect(derived.consecutiveFailures).toBe(failures);
  });
});
