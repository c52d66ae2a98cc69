// `npm run soak -- --minutes 30`: holds load on a cluster for a while and reports, per worker
// slot, memory drift, event-loop delay and errors. Starts its own cluster (dist/main.js) on free
// loopback ports unless --url/--manager-url point at a running one. Not part of CI: it is long.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from './lib/free-port.js';
import { loopbackOrigin, runLoad } from './load/index.js';

interface Sample {
  at: number;
  slot: number;
  pid: number;
  rss: number | null;
  lagP99: number | null;
}

interface StatusBody {
  workers: {
    slot: number;
    pid: number;
    state: string;
    residentMemoryBytes: number | null;
    eventLoopDelayP99Seconds: number | null;
  }[];
}

const HELP = `npm run soak -- [--minutes N] [--workers N] [--connections N] [--rate RPS]
                  [--url http://127.0.0.1:8080 --manager-url http://127.0.0.1:9464]
Holds load for N minutes (default 10) and reports per-slot memory drift, event-loop delay
and errors. Without --url it starts its own cluster from dist/main.js (run npm run build).`;

async function status(managerUrl: string): Promise<StatusBody | undefined> {
  try {
    const response = await fetch(`${managerUrl}/status`);
    return response.ok ? ((await response.json()) as StatusBody) : undefined;
  } catch {
    return undefined;
  }
}

async function startOwnCluster(
  workers: number,
): Promise<{ proc: ChildProcess; url: string; managerUrl: string }> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const [port, metricsPort] = [await freePort(), await freePort()];
  const proc = spawn(process.execPath, [path.join(root, 'dist/main.js')], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      WORKERS: String(workers),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const managerUrl = `http://127.0.0.1:${metricsPort}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const s = await status(managerUrl);
    if (s && s.workers.filter((w) => w.state === 'ready').length === workers) break;
    if (Date.now() > deadline || proc.exitCode !== null) {
      proc.kill('SIGKILL');
      throw new Error('the cluster did not become ready within 30 s (did you run npm run build?)');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { proc, url: `http://127.0.0.1:${port}`, managerUrl };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? null;
}

const mb = (bytes: number | null) =>
  bytes === null ? 'n/a' : `${(bytes / 1048576).toFixed(1)} MB`;
const ms = (seconds: number | null) =>
  seconds === null ? 'n/a' : `${(seconds * 1000).toFixed(1)} ms`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '10' },
      workers: { type: 'string', default: '2' },
      connections: { type: 'string', default: '16' },
      rate: { type: 'string', default: '0' },
      url: { type: 'string' },
      'manager-url': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return console.log(HELP);
  const minutes = Number(values.minutes);
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 240) {
    throw new Error('--minutes must be a number in (0, 240]');
  }
  const own = values.url === undefined ? await startOwnCluster(Number(values.workers)) : undefined;
  const url = own?.url ?? loopbackOrigin(values.url ?? '', '--url');
  const managerUrl =
    own?.managerUrl ?? loopbackOrigin(values['manager-url'] ?? '', '--manager-url');

  const samples: Sample[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const s = await status(managerUrl);
      for (const w of s?.workers ?? []) {
        if (w.state !== 'ready') continue;
        samples.push({
          at: Date.now(),
          slot: w.slot,
          pid: w.pid,
          rss: w.residentMemoryBytes,
          lagP99: w.eventLoopDelayP99Seconds,
        });
      }
      await new Promise((r) => setTimeout(r, 5_000));
    }
  })();
  try {
    console.log(`soak: ${minutes} min against ${url}`);
    const result = await runLoad({
      scenario: 'soak',
      url,
      managerUrl,
      durationSec: Math.round(minutes * 60),
      connections: Number(values.connections),
      rate: Number(values.rate),
      onProgress: (line) => console.log(line),
    });
    sampling = false;
    await sampler;
    console.log(
      `\nrequests ${result.requests}, non-2xx ${result.non2xx}, errors ${result.errors}, ` +
        `rps ${result.rps.toFixed(0)}, p99 ${result.latencyMs.p99.toFixed(1)} ms`,
    );
    // Drift: median of the first fifth of the run against median of the last fifth, per slot.
    const start = samples[0]?.at ?? 0;
    const end = samples.at(-1)?.at ?? 0;
    const window = Math.max(1, (end - start) / 5);
    console.log('\nslot  pids  rss first→last (drift)           event-loop p99 max');
    for (const slot of [...new Set(samples.map((s) => s.slot))].sort((a, b) => a - b)) {
      const mine = samples.filter((s) => s.slot === slot);
      const rss = (from: number, to: number) =>
        median(mine.filter((s) => s.at >= from && s.at <= to && s.rss !== null).map((s) => s.rss!));
      const first = rss(start, start + window);
      const last = rss(end - window, end);
      const drift = first !== null && last !== null ? ((last - first) / first) * 100 : null;
      const lag = Math.max(...mine.map((s) => s.lagP99 ?? 0));
      console.log(
        `${String(slot).padEnd(5)} ${String(new Set(mine.map((s) => s.pid)).size).padEnd(5)} ` +
          `${mb(first)} → ${mb(last)} (${drift === null ? 'n/a' : `${drift.toFixed(1)}%`})`.padEnd(
            34,
          ) +
          ` ${ms(lag)}`,
      );
    }
    process.exitCode = result.ok ? 0 : 1;
  } finally {
    sampling = false;
    own?.proc.kill('SIGTERM');
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
