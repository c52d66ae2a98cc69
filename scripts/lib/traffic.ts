// A bounded keep-alive load generator for tests and the benchmark: `connections` loops of
// sequential requests (fetch keeps each on a keep-alive connection and honours
// `Connection: close`, as a well-behaved client does), stopped by `stop()` or a hard deadline,
// counting every outcome.
const REQUEST_TIMEOUT_MS = 10_000;

export interface TrafficResult {
  sent: number;
  ok: number;
  failed: number;
  statuses: Map<number, number>;
  errors: string[];
  pids: Set<number>;
}

export interface Traffic {
  result: TrafficResult;
  /** Stops the loops and resolves once every in-flight request has settled. */
  stop(): Promise<TrafficResult>;
}

export function startTraffic(url: string, connections: number, maxDurationMs = 60_000): Traffic {
  const result: TrafficResult = {
    sent: 0,
    ok: 0,
    failed: 0,
    statuses: new Map(),
    errors: [],
    pids: new Set(),
  };
  let running = true;
  const deadline = Date.now() + maxDurationMs;
  const loop = async () => {
    while (running && Date.now() < deadline) {
      result.sent += 1;
      try {
        // Bounded: a connection stranded by a SIGKILLed worker would otherwise hang the loop.
        const response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        const body = await response.text();
        result.statuses.set(response.status, (result.statuses.get(response.status) ?? 0) + 1);
        if (response.status >= 200 && response.status < 400) {
          result.ok += 1;
          try {
            const pid = (JSON.parse(body) as { pid?: unknown }).pid;
            if (typeof pid === 'number') result.pids.add(pid);
          } catch {
            // Not every route answers with a pid.
          }
        } else {
          result.failed += 1;
        }
      } catch (error) {
        result.failed += 1;
        if (result.errors.length < 20) result.errors.push(String((error as Error).cause ?? error));
      }
    }
  };
  const loops = Array.from({ length: connections }, loop);
  return {
    result,
    async stop() {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}
