// The main thread's hold on its metrics thread (which serves the manager endpoint): a thread that
// crashes, or wedges and stops answering pings, is replaced; one that cannot open the endpoint
// fails the manager's start. A stand-in thread (test/fixtures/fake-metrics-thread.mjs) crashes or
// spins on request.
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createLogger, type Logger } from '../../../../src/logger.js';
import { EndpointFailedError, MetricsHub } from '../../../../src/manager/thread/metrics-hub.js';
import type { MainCallHandlers } from '../../../../src/manager/thread/main-thread-calls.js';
import type { StatusResponse, WorkerRef } from '../../../../src/manager/supervision/lifecycle.js';
import { waitUntil } from '../../../../scripts/lib/wait.js';

const FAKE_THREAD = new URL('../../../fixtures/fake-metrics-thread.mjs', import.meta.url);
const CRASH = 1;
const WEDGE = 2;
// 500 ms to count a thread wedged: a stand-in starting on a loaded machine must not look wedged.
const PING_INTERVAL_MS = 50;
const WEDGED_AFTER_PINGS = 10;

let hub: MetricsHub | undefined;
/** The supervisor's workers as the hub reads them: a test sets them, then announces them. */
let workers: WorkerRef[] = [];
afterEach(async () => {
  await hub?.close();
  hub = undefined;
  workers = [];
});

/** Counts the threads that called in (each stand-in calls `live` once, as it starts). */
function handlers(): MainCallHandlers & { calls: number } {
  const counted = {
    calls: 0,
    live: () => {
      counted.calls += 1;
      return null;
    },
    status: () => ({}) as StatusResponse,
    reload: () => 0,
    scale: () => null,
    setLogLevel: () => null,
    managerMetrics: () => [],
  };
  return counted;
}

function startHub(
  calls: MainCallHandlers,
  port = 0,
  host = '127.0.0.1',
  logger: Logger = createLogger('silent', {}),
): MetricsHub {
  hub = new MetricsHub(
    logger,
    {
      config: {
        logLevel: 'silent',
        metricsThreadNice: 0,
        metricsCheckpointMs: 0,
        metricsHost: host,
        metricsPort: port,
        adminToken: undefined,
        metricsCollectTimeoutMs: 100,
        httpHeadersTimeoutMs: 1_000,
        httpKeepAliveTimeoutMs: 1_000,
        metricsMaxConnections: 10,
        metricsMaxScrapes: 2,
      },
      workers: () => workers,
      threadEntry: FAKE_THREAD,
      restartDelayMs: 20,
      pingIntervalMs: PING_INTERVAL_MS,
      wedgedAfterPings: WEDGED_AFTER_PINGS,
    },
    calls,
  );
  return hub;
}

describe('MetricsHub', () => {
  it("starts its thread, answers the thread's calls, and keeps a thread that answers pings", async () => {
    const calls = handlers();
    await startHub(calls).ready();
    await waitUntil(() => calls.calls === 1 || undefined, 'the thread calling in', 5_000, 10);
    // Many pings' worth of time: an answering thread is never taken for wedged.
    await new Promise((resolve) => setTimeout(resolve, PING_INTERVAL_MS * WEDGED_AFTER_PINGS * 4));
    expect(hub!.threadsStarted).toBe(1);
  });

  it('keeps its thread across a main thread that stood still (a paused process misses no ping)', async () => {
    const calls = handlers();
    await startHub(calls).ready();
    // The main thread blocked for many ping intervals: no ping was sent, none went unanswered.
    const until = Date.now() + PING_INTERVAL_MS * WEDGED_AFTER_PINGS * 4;
    while (Date.now() < until);
    await new Promise((resolve) => setTimeout(resolve, PING_INTERVAL_MS * WEDGED_AFTER_PINGS * 2));
    expect(hub!.threadsStarted).toBe(1);
  });

  it.each([
    ['crashed', CRASH],
    ['stopped answering pings', WEDGE],
  ])('replaces a thread that %s', async (_what, trigger) => {
    const calls = handlers();
    await startHub(calls).ready();
    // The stand-in crashes or spins when told of this worker; the thread that replaces it is
    // told of none.
    workers = [{ id: trigger, slot: 0, state: 'ready' }];
    hub!.workersChanged();
    workers = [];
    await waitUntil(() => calls.calls === 2 || undefined, 'a new thread calling in', 5_000, 10);
    expect(hub!.threadsStarted).toBe(2);
  });

  it('does not run a call that reached it after its deadline, and tells the thread so', async () => {
    const scaled: number[] = [];
    await startHub(
      {
        ...handlers(),
        scale: (workers) => {
          scaled.push(workers);
          return null;
        },
      },
      0,
      'late-call',
    ).ready();
    // The call in time is sent once the thread is told the late one was not run.
    await waitUntil(() => scaled.length > 0 || undefined, 'the call in time', 5_000, 10);
    expect(scaled).toEqual([2]);
  });

  it('survives an answer that cannot be sent (a bug in a handler), and says so', async () => {
    const logged: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void logged.push(line) });
    const calls = handlers();
    // A function cannot be cloned into a message: postMessage throws.
    calls.live = () => {
      calls.calls += 1;
      return (() => null) as unknown as null;
    };
    await startHub(calls, 0, '127.0.0.1', logger).ready();
    await waitUntil(
      () => logged.some((line) => line.includes('manager endpoint answer not sent')) || undefined,
      'the failed answer logged',
      5_000,
      10,
    );
    expect(hub!.threadsStarted).toBe(1);
  });

  it('fails its start when the thread cannot open the endpoint', async () => {
    await expect(startHub(handlers(), -1).ready()).rejects.toBeInstanceOf(EndpointFailedError);
  });
});
