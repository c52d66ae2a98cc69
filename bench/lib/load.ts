// Load generators: autocannon (as a library, in this process) for throughput, fetch loops on
// keep-alive connections for "did anything fail" runs, and one-shot requests on fresh
// connections. Loopback only: every URL is checked before a request is sent.
import http from 'node:http';
import autocannon from 'autocannon';
import { startTraffic as startSharedTraffic, type Traffic } from '../../scripts/lib/traffic.js';

export function assertLoopback(url: string): void {
  const { hostname } = new URL(url);
  if (hostname !== '127.0.0.1' && hostname !== 'localhost' && hostname !== '[::1]') {
    throw new Error(`bench refuses to send load to ${hostname}: loopback only`);
  }
}

export interface LoadResult {
  /** 2xx responses per second over the run. */
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationS: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

export async function runLoad(
  url: string,
  options: { connections: number; durationS: number; headers?: Record<string, string> },
): Promise<LoadResult> {
  assertLoopback(url);
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.durationS,
    pipelining: 1,
    ...(options.headers && { headers: options.headers }),
  });
  const durationS = result.duration > 0 ? result.duration : options.durationS;
  return {
    rps: result['2xx'] / durationS,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationS,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
  };
}

/** Keep-alive client loops, bounded in time (shared with the tests); loopback only. */
export function startTraffic(url: string, connections: number, maxDurationMs: number): Traffic {
  assertLoopback(url);
  return startSharedTraffic(url, connections, maxDurationMs);
}

/** One GET on a fresh connection (`Connection: close`), so the cluster may pick any worker. */
export function getOnce(url: string, timeoutMs = 2_000): Promise<{ status: number; body: string }> {
  assertLoopback(url);
  return new Promise((resolve, reject) => {
    const req = http.get(
      url,
      { agent: false, headers: { connection: 'close' }, timeout: timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
