// The chaos run's reading of the manager's /status: shape checked, and the quiescent judgements
// (settled pool, requests still in flight, heartbeats too old to judge by).
import { describe, expect, it } from 'vitest';
import {
  busyWorkers,
  isSettled,
  parseStatus,
  staleWorkers,
} from '../../../scripts/chaos/status.js';

const worker = (pid: number, extra: Record<string, unknown> = {}) => ({
  slot: pid % 2,
  pid,
  id: pid,
  state: 'ready',
  restarts: 0,
  startedAt: '2026-01-01T00:00:00.000Z',
  readyAt: '2026-01-01T00:00:01.000Z',
  heartbeatAgeSeconds: 0.2,
  requestsServed: 10,
  requestsInFlight: 0,
  residentMemoryBytes: 1,
  eventLoopDelayP99Seconds: 0.01,
  ...extra,
});

const body = (workers: unknown[], manager: Record<string, unknown> = {}) =>
  JSON.stringify({
    manager: {
      pid: 1,
      version: 'x',
      startedAt: '',
      uptimeSeconds: 1,
      desiredWorkers: 2,
      readyWorkers: 2,
      reloading: false,
      shuttingDown: false,
      ...manager,
    },
    workers,
  });

describe('parseStatus', () => {
  it('reads the manager and every worker', () => {
    const status = parseStatus(body([worker(10), worker(11, { requestsInFlight: 5 })]));
    expect(status.workers.map((w) => [w.pid, w.requestsInFlight])).toEqual([
      [10, 0],
      [11, 5],
    ]);
    expect(busyWorkers(status).map((w) => w.pid)).toEqual([11]);
  });

  it('refuses a body of another shape, naming the field', () => {
    expect(() => parseStatus(body([worker(10, { requestsInFlight: 'many' })]))).toThrow(
      /requestsInFlight/,
    );
    expect(() => parseStatus('{"workers":[]}')).toThrow(/unexpected shape/);
  });
});

describe('quiescent judgements', () => {
  it('is settled with exactly the count, all ready, no reload', () => {
    expect(isSettled(parseStatus(body([worker(1), worker(2)])), 2)).toBe(true);
    expect(isSettled(parseStatus(body([worker(1)])), 2)).toBe(false);
    expect(isSettled(parseStatus(body([worker(1), worker(2, { state: 'starting' })])), 2)).toBe(
      false,
    );
    expect(isSettled(parseStatus(body([worker(1), worker(2)], { reloading: true })), 2)).toBe(
      false,
    );
  });

  it('calls a heartbeat stale when it was sent before the clients left', () => {
    const status = parseStatus(
      body([
        worker(1, { heartbeatAgeSeconds: 3 }),
        worker(2, { heartbeatAgeSeconds: 0.1 }),
        worker(3, { heartbeatAgeSeconds: null }),
      ]),
    );
    const now = 100_000;
    expect(staleWorkers(status, now - 1_000, now).map((w) => w.pid)).toEqual([1, 3]);
  });
});
