// A bounded load generator for tests and the benchmark: `connections` loops of sequential
// requests, stopped by `stop()` or a hard deadline, counting every outcome. Keep-alive by default
// (fetch keeps each loop on a connection and honours `Connection: close`, as a well-behaved
// client does); with `newConnections` every request opens a connection of its own and says
// `Connection: close`, the load that exercises accepting.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const REQUEST_TIMEOUT_MS = 10_000;

export interface TrafficResult {
  sent: number;
  ok: number;
  failed: number;
  statuses: Map<number, number>;
  errors: string[];
  pids: Set<number>;
  /** The longest a request took, answered or failed (ms). */
  slowestMs: number;
}

export interface Traffic {
  result: TrafficResult;
  /** Stops the loops and resolves once every in-flight request has settled. */
  stop(): Promise<TrafficResult>;
}

export interface TrafficOptions {
  /** One connection per request (`Connection: close`) instead of keep-alive. */
  newConnections?: boolean;
}

interface Answer {
  status: number;
  body: string;
}

async function keepAliveRequest(url: string): Promise<Answer> {
  // Bounded: a connection stranded by a SIGKILLed worker would otherwise hang the loop.
  const response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  return { status: response.status, body: await response.text() };
}

/** One request on a fresh connection (no agent), bounded like keepAliveRequest. */
export function newConnectionRequest(url: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      url,
      { agent: false, headers: { connection: 'close' }, timeout: REQUEST_TIMEOUT_MS },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('request timed out')));
    request.on('error', reject);
  });
}

export function startTraffic(
  url: string,
  connections: number,
  maxDurationMs = 60_000,
  options: TrafficOptions = {},
): Traffic {
  const send = options.newConnections ? newConnectionRequest : keepAliveRequest;
  const result: TrafficResult = {
    sent: 0,
    ok: 0,
    failed: 0,
    statuses: new Map(),
    errors: [],
    pids: new Set(),
    slowestMs: 0,
  };
  let running = true;
  const deadline = Date.now() + maxDurationMs;
  const loop = async () => {
    while (running && Date.now() < deadline) {
      result.sent += 1;
      const started = performance.now();
      try {
        const { status, body } = await send(url);
        result.statuses.set(status, (result.statuses.get(status) ?? 0) + 1);
        if (status >= 200 && status < 400) {
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
        if (result.errors.length < 20) result.errors.push(describe(error));
      }
      result.slowestMs = Math.max(result.slowestMs, performance.now() - started);
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

/** fetch wraps the socket's error in `cause`; node:http gives it as is. With its code. */
function describe(error: unknown): string {
  const cause = ((error as Error).cause ?? error) as NodeJS.ErrnoException;
  return cause.code ? `${cause.code}: ${cause.message}` : String(cause);
}
