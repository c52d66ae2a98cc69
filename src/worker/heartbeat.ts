// Heartbeats: proof of life for the manager's hang detector, carrying the per-worker health figures
// behind cluster_worker_* and recycling. A timer alone is not proof enough (back-to-back CPU-bound
// requests never let timers run), so the server also calls beatIfDue() at each request boundary:
// a worker stuck inside a request reaches none and goes silent.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { HeartbeatMessage } from '../protocol.js';
import { sendToManager } from './ipc.js';

export interface RequestCounters {
  served: number;
  inFlight: number;
}

export function startHeartbeat(
  intervalMs: number,
  counters: RequestCounters,
  /** After every beat sent: the stack watchdog counts them as the main thread's progress. */
  onBeat: () => void = () => undefined,
) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let lastBeatAt = 0;
  let residentMemoryBytes = 0;
  const beat = () => {
    lastBeatAt = performance.now();
    const cpu = process.cpuUsage();
    try {
      residentMemoryBytes = process.memoryUsage.rss();
    } catch {
      // libuv reads /proc/self/stat, which throws EMFILE with every descriptor in use (a flood of
      // connections): the last figure stands, as a beat that threw would end the worker.
    }
    const message: HeartbeatMessage = {
      type: 'heartbeat',
      eventLoopDelayP99Seconds: delay.percentile(99) / 1e9,
      eventLoopDelayMaxSeconds: delay.max / 1e9,
      residentMemoryBytes,
      // V8's own figure, the same as memoryUsage().heapUsed without memoryUsage()'s RSS read.
      heapUsedBytes: getHeapStatistics().used_heap_size,
      cpuSecondsTotal: (cpu.user + cpu.system) / 1e6,
      requestsServed: counters.served,
      requestsInFlight: counters.inFlight,
    };
    // Each beat reports the delay since the previous one, not since boot.
    delay.reset();
    // Written to the channel at once when it has room, even if this event loop then stays busy.
    void sendToManager(message);
    onBeat();
  };
  beat();
  const timer = setInterval(beat, intervalMs);
  return {
    beatIfDue() {
      if (performance.now() - lastBeatAt >= intervalMs) beat();
    },
    stop() {
      clearInterval(timer);
      delay.disable();
    },
  };
}
