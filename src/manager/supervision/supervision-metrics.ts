// Metrics the main thread owns (supervision, by slot), plus its default metrics under a prefix of
// their own so they never merge into the workers'. Gauges are rebuilt from the supervisor at each
// scrape, so slots scaled away disappear; counters keep every slot they ever had.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import {
  MANAGER_METRICS_PREFIX,
  removeProcessWideMetrics,
} from '../../metrics/process-wide-metrics.js';
import type { HeartbeatMessage } from '../../protocol.js';
import { RESTART_REASONS, WORKER_STATES, type RestartReason } from './lifecycle.js';
import type { ManagedWorker } from './managed-worker.js';
import type { Supervisor } from './supervisor.js';

export class SupervisionMetrics {
  readonly registry = new Registry();
  private readonly restarts: Counter<'slot' | 'reason'>;
  private readonly cpu: Counter<'slot'>;
  private readonly stalls: Counter;

  constructor(supervisor: Pick<Supervisor, 'desiredWorkers' | 'list'>) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: MANAGER_METRICS_PREFIX });
    removeProcessWideMetrics(this.registry, MANAGER_METRICS_PREFIX);
    new Gauge({
      name: 'cluster_worker_up',
      help: '1 if a ready worker serves this slot, else 0.',
      labelNames: ['slot'],
      registers,
      collect() {
        this.reset();
        for (let slot = 0; slot < supervisor.desiredWorkers; slot += 1) {
          this.set({ slot: String(slot) }, 0);
        }
        for (const worker of supervisor.list()) {
          if (worker.state === 'ready') this.set({ slot: String(worker.slot) }, 1);
        }
      },
    });
    this.restarts = new Counter({
      name: 'cluster_worker_restarts_total',
      help: 'Workers replaced or removed, by slot and reason (crash, hung, memory, max_requests, reload, scale).',
      labelNames: ['slot', 'reason'],
      registers,
      collect: () => this.zeroSlots(supervisor.desiredWorkers),
    });
    // The serving worker's health: during a replacement a slot has two workers.
    type Reading = (worker: ManagedWorker, now: number) => number | null | undefined;
    const health = (name: string, help: string, read: Reading) =>
      new Gauge({
        name,
        help,
        labelNames: ['slot'],
        registers,
        collect() {
          this.reset();
          const now = Date.now();
          const workers = supervisor.list();
          for (const worker of workers) {
            const value = read(worker, now) ?? null;
            const replaced =
              worker.stopReason !== null &&
              workers.some((w) => w.slot === worker.slot && w !== worker);
            if (value !== null && !replaced) this.set({ slot: String(worker.slot) }, value);
          }
        },
      });
    health(
      'cluster_worker_heartbeat_age_seconds',
      'Seconds since the slot’s worker last sent a heartbeat.',
      (worker, now) =>
        worker.lastHeartbeatAt === null ? null : (now - worker.lastHeartbeatAt) / 1000,
    );
    health(
      'cluster_worker_event_loop_delay_seconds',
      'p99 event-loop delay of the slot’s worker over its last heartbeat interval.',
      (worker) => worker.heartbeat?.eventLoopDelayP99Seconds,
    );
    health(
      'cluster_worker_resident_memory_bytes',
      'Resident set size of the slot’s worker, from its last heartbeat.',
      (worker) => worker.heartbeat?.residentMemoryBytes,
    );
    health(
      'cluster_worker_heap_used_bytes',
      'V8 heap used by the slot’s worker, from its last heartbeat.',
      (worker) => worker.heartbeat?.heapUsedBytes,
    );
    this.cpu = new Counter({
      name: 'cluster_worker_cpu_seconds_total',
      help: 'CPU time (user + system) spent by the workers of this slot, across replacements.',
      labelNames: ['slot'],
      registers,
    });
    new Gauge({
      name: 'cluster_workers',
      help: 'Workers by lifecycle state.',
      labelNames: ['state'],
      registers,
      collect() {
        for (const state of WORKER_STATES) this.set({ state }, 0);
        for (const worker of supervisor.list()) this.inc({ state: worker.state });
      },
    });
    new Gauge({
      name: 'cluster_workers_desired',
      help: 'Workers the manager aims to keep ready (WORKERS, changed by scaling).',
      registers,
      collect() {
        this.set(supervisor.desiredWorkers);
      },
    });
    this.stalls = new Counter({
      name: 'cluster_manager_stalls_total',
      help: 'Times the manager itself stood still (stopped, paused, starved) for over a second; that time is not counted as worker silence.',
      registers,
    });
    this.zeroSlots(supervisor.desiredWorkers);
  }

  onStall(): void {
    this.stalls.inc();
  }

  onRestart(slot: number, reason: RestartReason): void {
    this.restarts.inc({ slot: String(slot), reason });
  }

  /** CPU is per process; the per-slot counter adds each heartbeat's increase. */
  onHeartbeat(slot: number, beat: HeartbeatMessage, previous: HeartbeatMessage | null) {
    const delta = beat.cpuSecondsTotal - (previous?.cpuSecondsTotal ?? 0);
    if (delta > 0) this.cpu.inc({ slot: String(slot) }, delta);
  }

  /** At 0 from the start: a series first seen at 1 hides that first increase from increase(). */
  private zeroSlots(count: number): void {
    for (let slot = 0; slot < count; slot += 1) {
      for (const reason of RESTART_REASONS) this.restarts.inc({ slot: String(slot), reason }, 0);
      this.cpu.inc({ slot: String(slot) }, 0);
    }
  }
}
