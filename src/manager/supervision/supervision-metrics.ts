// Metrics the main thread owns (supervision, labelled by reused slots), plus its own default
// metrics (heap, event loop, handles, GC) under a prefix of their own so they never merge into the
// workers'. Gauges are rebuilt from the supervisor's state at each scrape, so slots scaled away
// disappear instead of going stale; counters keep every slot they ever had.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { replaceEventLoopLagMetrics } from '../../metrics/event-loop-lag.js';
import type { HeartbeatMessage } from '../../protocol.js';
import type { ManagedWorker } from './managed-worker.js';
import { RESTART_REASONS, WORKER_STATES, type RestartReason } from './lifecycle.js';
import {
  MANAGER_METRICS_PREFIX,
  removeProcessWideMetrics,
} from '../../metrics/process-wide-metrics.js';
import type { Supervisor } from './supervisor.js';

/** What the metrics read of the supervisor. */
export type SupervisionView = Pick<Supervisor, 'desiredWorkers' | 'list'>;

export class SupervisionMetrics {
  readonly registry = new Registry();
  private readonly up: Gauge<'slot'>;
  private readonly restarts: Counter<'slot' | 'reason'>;
  private readonly heartbeatAge: Gauge<'slot'>;
  private readonly eventLoopDelay: Gauge<'slot'>;
  private readonly residentMemory: Gauge<'slot'>;
  private readonly heapUsed: Gauge<'slot'>;
  private readonly cpu: Counter<'slot'>;
  private readonly byState: Gauge<'state'>;
  private readonly desired: Gauge;
  private readonly stalls: Counter;
  /** Slots 0..zeroedSlots-1 have their counters at 0 (or more) already. */
  private zeroedSlots = 0;

  constructor(private readonly supervisor: SupervisionView) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: MANAGER_METRICS_PREFIX });
    replaceEventLoopLagMetrics(this.registry, { prefix: MANAGER_METRICS_PREFIX });
    removeProcessWideMetrics(this.registry, MANAGER_METRICS_PREFIX);
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
    this.stalls = new Counter({
      name: 'cluster_manager_stalls_total',
      help: 'Times the manager itself stood still (stopped, paused, starved) for over a second; that time is not counted as worker silence.',
      registers,
    });
    this.update();
  }

  /** The manager's own event loop stood still long enough to matter to hang detection. */
  onStall(): void {
    this.stalls.inc();
  }

  onRestart(slot: number, reason: RestartReason): void {
    this.restarts.inc({ slot: String(slot), reason });
  }

  /** CPU is a per-process counter; the per-slot counter adds each heartbeat's increase. */
  onHeartbeat(worker: ManagedWorker, beat: HeartbeatMessage, previous: HeartbeatMessage | null) {
    const delta = beat.cpuSecondsTotal - (previous?.cpuSecondsTotal ?? 0);
    if (delta > 0) this.cpu.inc({ slot: String(worker.slot) }, delta);
  }

  /** Rebuilds the per-slot gauges from the supervisor's state. */
  update(): void {
    const now = Date.now();
    const workers = this.supervisor.list();
    for (const gauge of [
      this.up,
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
    // Labelled counters with a known label set exist at 0 from the start: otherwise the first
    // restart of a slot starts its series at 1 and increase() never sees it. Counters are never
    // reset, so each slot needs this once.
    for (; this.zeroedSlots < this.supervisor.desiredWorkers; this.zeroedSlots += 1) {
      const slot = String(this.zeroedSlots);
      for (const reason of RESTART_REASONS) this.restarts.inc({ slot, reason }, 0);
      this.cpu.inc({ slot }, 0);
    }
    for (const state of WORKER_STATES) this.byState.set({ state }, 0);
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
    this.desired.set(this.supervisor.desiredWorkers);
  }
}
