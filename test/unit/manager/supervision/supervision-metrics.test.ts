// The main thread's supervision metrics, read at a scrape from a stand-in supervisor.
import { describe, expect, it } from 'vitest';
import type { ManagedWorker } from '../../../../src/manager/supervision/managed-worker.js';
import { SupervisionMetrics } from '../../../../src/manager/supervision/supervision-metrics.js';
import type { HeartbeatMessage } from '../../../../src/protocol.js';

const beat = (residentMemoryBytes: number): HeartbeatMessage => ({
  type: 'heartbeat',
  eventLoopDelayP99Seconds: 0.001,
  eventLoopDelayMaxSeconds: 0.002,
  residentMemoryBytes,
  heapUsedBytes: 1,
  cpuSecondsTotal: 0,
  requestsServed: 0,
  requestsInFlight: 0,
});

const worker = (fields: Partial<ManagedWorker>) =>
  ({
    state: 'ready',
    stopReason: null,
    lastHeartbeatAt: null,
    heartbeat: null,
    ...fields,
  }) as ManagedWorker;

async function scrape(metrics: SupervisionMetrics): Promise<string[]> {
  const text = await metrics.registry.metrics();
  return text.split('\n').filter((line) => /^cluster_(worker|workers)[_{ ]/.test(line));
}

describe('SupervisionMetrics', () => {
  it('rebuilds the gauges at each scrape: a slot scaled away disappears, its counters stay', async () => {
    const view = { desiredWorkers: 2, list: () => [worker({ slot: 0 }), worker({ slot: 1 })] };
    const metrics = new SupervisionMetrics(view);
    metrics.onRestart(1, 'crash');
    expect(await scrape(metrics)).toContain('cluster_worker_up{slot="1"} 1');

    Object.assign(view, { desiredWorkers: 1, list: () => [worker({ slot: 0 })] });
    const lines = await scrape(metrics);
    expect(lines.filter((l) => l.startsWith('cluster_worker_up'))).toEqual([
      'cluster_worker_up{slot="0"} 1',
    ]);
    expect(lines).toContain('cluster_worker_restarts_total{slot="1",reason="crash"} 1');
    expect(lines).toContain('cluster_worker_restarts_total{slot="0",reason="hung"} 0');
    expect(lines).toContain('cluster_workers_desired 1');
  });

  it('reports the serving worker’s health while a replaced one drains', async () => {
    const old = worker({ slot: 0, state: 'stopping', stopReason: 'reload', heartbeat: beat(9) });
    const fresh = worker({ slot: 0, state: 'starting', heartbeat: beat(5) });
    const metrics = new SupervisionMetrics({ desiredWorkers: 1, list: () => [fresh, old] });
    const lines = await scrape(metrics);
    expect(lines).toContain('cluster_worker_resident_memory_bytes{slot="0"} 5');
    expect(lines).toContain('cluster_worker_up{slot="0"} 0');
    expect(lines).toContain('cluster_workers{state="stopping"} 1');
    expect(lines).toContain('cluster_workers{state="starting"} 1');
  });
});
