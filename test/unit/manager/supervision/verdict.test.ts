// The watchdog's judgement of one worker, without a supervisor.
import { describe, expect, it } from 'vitest';
import type { HeartbeatMessage } from '../../../../src/protocol.js';
import { judge, type Judged } from '../../../../src/manager/supervision/verdict.js';

const limits = { workerTimeoutMs: 3_000, workerMaxRssMb: 100 };
const beat = (over: Partial<HeartbeatMessage> = {}): HeartbeatMessage => ({
  type: 'heartbeat',
  eventLoopDelayP99Seconds: 0,
  eventLoopDelayMaxSeconds: 0,
  residentMemoryBytes: 50 * 1024 * 1024,
  heapUsedBytes: 0,
  cpuSecondsTotal: 0,
  requestsServed: 0,
  requestsInFlight: 0,
  ...over,
});
const worker = (over: Partial<Judged> & { silent?: number; booting?: number } = {}): Judged => ({
  state: 'ready',
  heartbeat: beat(),
  maxRequests: undefined,
  silentForMs: () => over.silent ?? 0,
  bootingForMs: () => over.booting ?? 0,
  ...over,
});

describe('judge', () => {
  it('leaves a healthy worker alone', () => {
    expect(judge(worker(), limits)).toBeNull();
    expect(judge(worker({ silent: 3_000 }), limits)).toBeNull();
  });

  it('kills a worker silent past the timeout, whatever its state', () => {
    for (const state of ['starting', 'ready', 'stopping'] as const) {
      expect(judge(worker({ state, silent: 3_001 }), limits)).toEqual({
        action: 'kill',
        reason: 'hung',
      });
    }
  });

  it('kills a worker that beats but is not ready within the timeout', () => {
    expect(judge(worker({ state: 'starting', booting: 3_001 }), limits)).toEqual({
      action: 'kill',
      reason: 'boot_timeout',
    });
    expect(judge(worker({ state: 'ready', booting: 10_000 }), limits)).toBeNull();
  });

  it('recycles a ready worker over its memory or request budget, memory first', () => {
    const fat = beat({ residentMemoryBytes: 101 * 1024 * 1024, requestsServed: 10 });
    expect(judge(worker({ heartbeat: fat, maxRequests: 5 }), limits)).toEqual({
      action: 'recycle',
      reason: 'memory',
    });
    expect(
      judge(worker({ heartbeat: beat({ requestsServed: 5 }), maxRequests: 5 }), limits),
    ).toEqual({ action: 'recycle', reason: 'max_requests' });
    expect(
      judge(worker({ heartbeat: beat({ requestsServed: 4 }), maxRequests: 5 }), limits),
    ).toBeNull();
    expect(judge(worker({ heartbeat: fat }), { ...limits, workerMaxRssMb: undefined })).toBeNull();
  });

  it('does not recycle a worker that is not serving, or has not beaten yet', () => {
    const fat = beat({ residentMemoryBytes: 1e12 });
    expect(judge(worker({ state: 'stopping', heartbeat: fat }), limits)).toBeNull();
    expect(judge(worker({ state: 'starting', heartbeat: fat }), limits)).toBeNull();
    expect(judge(worker({ heartbeat: null }), limits)).toBeNull();
  });
});
