// wrk (Debian's `wrk` package) as the load generator of the new-connection row: a C client that
// opens a fresh connection per request with `Connection: close` at a rate Node's own clients
// cannot reach on a shared 2-core machine. Missing wrk is an error, never a skipped row.
import { execFile } from 'node:child_process';
import { assertLoopback } from './load.js';

export interface WrkResult {
  /** Requests per second as wrk reports it (every completed response). */
  rps: number;
  requests: number;
  /** Responses outside 2xx/3xx. */
  non2xx: number;
  /** connect + read + write + timeout socket errors. */
  socketErrors: number;
  latencyP99Ms: number;
}

function run(args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) {
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        reject(
          new Error(
            missing
              ? 'wrk is not installed: `apt-get install wrk` (Debian) and run the bench again'
              : `wrk ${args.join(' ')} failed: ${error.message}\n${stderr}`,
          ),
        );
        return;
      }
      resolve({ stdout, stderr });
    });
  });
}

/** Throws, naming the fix, when wrk cannot run here. */
export async function assertWrk(): Promise<void> {
  // `wrk -v` prints its version and exits 1; what matters is that it exists.
  await run(['-v'], 5_000).catch((error: Error) => {
    if (error.message.includes('not installed')) throw error;
  });
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** wrk's text report -> numbers. Pure: unit-tested. */
export function parseWrk(text: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  if (!rps) throw new Error(`no Requests/sec in wrk's output:\n${text}`);
  const requests = /(\d+) requests in/.exec(text);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(text);
  return {
    rps: Number(rps[1]),
    requests: Number(requests?.[1] ?? NaN),
    non2xx: Number(non2xx?.[1] ?? 0),
    socketErrors: socket ? socket.slice(1, 5).reduce((sum, n) => sum + Number(n), 0) : 0,
    latencyP99Ms: p99 ? Number(p99[1]) * (UNIT_MS[p99[2] ?? 'ms'] ?? NaN) : NaN,
  };
}

/** `wrk -t1 -c<connections> -d<seconds>s --latency -H 'Connection: close' <url>`. */
export async function runWrkClose(
  url: string,
  options: { connections: number; durationS: number },
): Promise<WrkResult> {
  assertLoopback(url);
  const duration = `${Math.max(1, Math.round(options.durationS))}s`;
  const { stdout } = await run(
    [
      '-t1',
      `-c${options.connections}`,
      `-d${duration}`,
      '--latency',
      '-H',
      'Connection: close',
      url,
    ],
    (options.durationS + 30) * 1000,
  );
  return parseWrk(stdout);
}
