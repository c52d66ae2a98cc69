// Reading the manager's GET /status and deciding when a rolling reload has finished. Pure
// functions, shared by k6/reload.ts, k6/soak.ts and the Node load runner (scripts/load).
//
// No k6 or Node imports: type-checked by both k6/tsconfig.json and the root tsconfig.

export interface WorkerSnapshot {
  slot: number;
  pid: number;
  state: string;
  restarts: number;
  residentMemoryBytes: number | null;
}

export interface StatusSnapshot {
  /** `manager.reloading` when the manager reports it. */
  reloading: boolean | undefined;
  workers: WorkerSnapshot[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a /status body; undefined when it is not the documented shape. */
export function parseStatus(text: string | null): StatusSnapshot | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
  if (!isObject(parsed) || !Array.isArray(parsed.workers)) return undefined;
  const workers: WorkerSnapshot[] = [];
  for (const w of parsed.workers) {
    if (!isObject(w) || typeof w.pid !== 'number' || typeof w.state !== 'string') return undefined;
    workers.push({
      slot: typeof w.slot === 'number' ? w.slot : -1,
      pid: w.pid,
      state: w.state,
      restarts: typeof w.restarts === 'number' ? w.restarts : 0,
      residentMemoryBytes: typeof w.residentMemoryBytes === 'number' ? w.residentMemoryBytes : null,
    });
  }
  const manager = isObject(parsed.manager) ? parsed.manager : {};
  const reloading = typeof manager.reloading === 'boolean' ? manager.reloading : undefined;
  return { reloading, workers };
}

/**
 * A rolling reload is complete when no worker from before it is left, at least as many workers
 * as before are all ready, and the manager (when it says) is no longer reloading.
 */
export function reloadComplete(before: StatusSnapshot, now: StatusSnapshot): boolean {
  const oldPids = new Set(before.workers.map((w) => w.pid));
  return (
    now.reloading !== true &&
    now.workers.length >= before.workers.length &&
    now.workers.every((w) => w.state === 'ready' && !oldPids.has(w.pid))
  );
}
