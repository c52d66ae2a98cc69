// Heartbeats: proof of life for the manager's hang detector, and the per-worker health figures
// (event-loop delay, memory, CPU, request counts) behind its cluster_worker_* metrics and recycling.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { HeartbeatMessage } from '../protocol.js';
import { sendToManager } from './ipc.js';

export interface RequestCounters {
  served: number;
  inFlight: number;
}

const NS_PER_S = 1e9;

export function startHeartbeat(intervalMs: number, counters: RequestCounters): () => void {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const beat = () => {
    const cpu = process.cpuUsage();
    const message: HeartbeatMessage = {
      type: 'heartbeat',
      eventLoopDelayP99Seconds: delay.percentile(99) / NS_PER_S,
      eventLoopDelayMaxSeconds: delay.max / NS_PER_S,
      residentMemoryBytes: process.memoryUsage.rss(),
      heapUsedBytes: process.memoryUsage().heapUsed,
      cpuSecondsTotal: (cpu.user + cpu.system) / 1e6,
      requestsServed: counters.served,
      requestsInFlight: counters.inFlight,
    };
    // Each beat reports the delay since the previous one, not since boot.
    delay.reset();
    void sendToManager(message);
  };
  beat();
  const timer = setInterval(beat, intervalMs);
  return () => {
    clearInterval(timer);
    delay.disable();
  };
}
