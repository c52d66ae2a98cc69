// Metrics the manager owns, labelled by slot (bounded: slots are reused by replacements), plus
// the manager's own process metrics under a prefix of their own so they never merge into the
// workers'. Gauges are rebuilt from the supervisor's state at each scrape, so slots that were
// scaled away disappear instead of going stale.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HeartbeatMessage } from '../protocol.js';
import type { Collection } from './collector.js';
import type { ManagedWorker } from './managed-worker.js';
import type { RestartReason, Supervisor } from './supervisor.js';
import type { WorkerState } from './status-types.js';

const STATES: WorkerState[] = ['starting', 'ready', 'stopping'];
export const MANAGER_METRICS_PREFIX = 'cluster_manager_';

export class ManagerMetrics {
  readonly registry = new Registry();
  private readonly up: Gauge<'slot'>;
  private readonly restarts: Counter<'slot' | 'reason'>;
  private readonly scrapeSuccess: Gauge<'slot'>;
  private readonly heartbeatAge: Gauge<'slot'>;
  private readonly eventLoopDelay: Gauge<'slot'>;
  private readonly residentMemory: Gauge<'slot'>;
  private readonly heapUsed: Gauge<'slot'>;
  private readonly cpu: Counter<'slot'>;
  private readonly byState: Gauge<'state'>;
  private readonly desired: Gauge;
  private readonly scrapeDuration: Histogram;
  private lastCollection: Collection | null = null;

  constructor(private readonly supervisor: Supervisor) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: MANAGER_METRICS_PREFIX });
    this.up = new Gauge({
      name: 'cluster_worker_up',
      help: '1 if a ready worker serves this slot, else 0.',
      labelNames: ['slot'],
      registers,
    });
    this.restarts = new Counter({
      name: 'cluster_worker_restarts_total',
      help: 'Workers replaced or removed, by slot and reason (crash, hung, memory, max_requests, reload, scale).',
      labelNames: ['slot', 'reason'],
      registers,
    });
    this.scrapeSuccess = new Gauge({
      name: 'cluster_worker_scrape_success',
      help: '1 if every worker of the slot answered the last metrics collection in time, else 0 (its gauges are then left out).',
      labelNames: ['slot'],
      registers,
    });
    this.heartbeatAge = new Gauge({
      name: 'cluster_worker_heartbeat_age_seconds',
      help: 'Seconds since the slot’s worker last sent a heartbeat.',
      labelNames: ['slot'],
      registers,
    });
    this.eventLoopDelay = new Gauge({
      name: 'cluster_worker_event_loop_delay_seconds',
      help: 'p99 event-loop delay of the slot’s worker over its last heartbeat interval.',
      labelNames: ['slot'],
      registers,
    });
    this.residentMemory = new Gauge({
      name: 'cluster_worker_resident_memory_bytes',
      help: 'Resident set size of the slot’s worker, from its last heartbeat.',
      labelNames: ['slot'],
      registers,
    });
    this.heapUsed = new Gauge({
      name: 'cluster_worker_heap_used_bytes',
      help: 'V8 heap used by the slot’s worker, from its last heartbeat.',
      labelNames: ['slot'],
      registers,
    });
    this.cpu = new Counter({
      name: 'cluster_worker_cpu_seconds_total',
      help: 'CPU time (user + system) spent by the workers of this slot, across replacements.',
      labelNames: ['slot'],
      registers,
    });
    this.byState = new Gauge({
      name: 'cluster_workers',
      help: 'Workers by lifecycle state.',
      labelNames: ['state'],
      registers,
    });
    this.desired = new Gauge({
      name: 'cluster_workers_desired',
      help: 'Workers the manager aims to keep ready (WORKERS, changed by scaling).',
      registers,
    });
    this.scrapeDuration = new Histogram({
      name: 'cluster_scrape_duration_seconds',
      help: 'Time the manager spent collecting worker metrics for one scrape.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
  }

  onRestart(slot: number, reason: RestartReason): void {
    this.restarts.inc({ slot: String(slot), reason });
  }

  /** CPU is a per-process counter; the per-slot counter adds each heartbeat's increase. */
  onHeartbeat(worker: ManagedWorker, beat: HeartbeatMessage, previous: HeartbeatMessage | null) {
    const delta = beat.cpuSecondsTotal - (previous?.cpuSecondsTotal ?? 0);
    if (delta > 0) this.cpu.inc({ slot: String(worker.slot) }, delta);
  }

  /** Rebuilds the per-slot gauges from the supervisor's state and the collection just made. */
  update(collection: Collection): void {
    // Overlapping scrapes share one collection: time it once.
    if (collection !== this.lastCollection) this.scrapeDuration.observe(collection.durationSeconds);
    this.lastCollection = collection;
    const now = Date.now();
    const workers = this.supervisor.list();
    for (const gauge of [
      this.up,
      this.scrapeSuccess,
      this.heartbeatAge,
      this.eventLoopDelay,
      this.residentMemory,
      this.heapUsed,
    ]) {
      gauge.reset();
    }
    for (let slot = 0; slot < this.supervisor.desiredWorkers; slot += 1) {
      this.up.set({ slot: String(slot) }, 0);
    }
    for (const state of STATES) this.byState.set({ state }, 0);
    for (const worker of workers) {
      const slot = String(worker.slot);
      this.byState.inc({ state: worker.state });
      if (worker.state === 'ready') this.up.set({ slot }, 1);
      // During a replacement a slot has two workers: report the serving one's health.
      if (worker.stopReason !== null && workers.some((w) => w !== worker && w.slot === worker.slot))
        continue;
      if (worker.lastHeartbeatAt !== null) {
        this.heartbeatAge.set({ slot }, (now - worker.lastHeartbeatAt) / 1000);
      }
      const beat = worker.heartbeat;
      if (beat) {
        this.eventLoopDelay.set({ slot }, beat.eventLoopDelayP99Seconds);
        this.residentMemory.set({ slot }, beat.residentMemoryBytes);
        this.heapUsed.set({ slot }, beat.heapUsedBytes);
      }
    }
    for (const [slot, ok] of collection.slotSuccess) {
      this.scrapeSuccess.set({ slot: String(slot) }, ok ? 1 : 0);
    }
    this.desired.set(this.supervisor.desiredWorkers);
  }
}
