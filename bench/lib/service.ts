// Starting what the bench measures: the real cluster (dist/main.js), the bench fixtures (ours and
// stock prom-client cluster), and single-process servers; each on free loopback ports, each
// awaited until it serves, each a tracked child (lib/procs.ts).
import type { StatusResponse } from '../../src/manager/supervision/lifecycle.js';
import { freePort, spawnChild, waitUntil, type Child } from './procs.js';

export const LOOPBACK = '127.0.0.1';

export interface Service {
  label: string;
  child: Child;
  apiUrl: string;
  managerUrl: string;
  stop(): Promise<number | string>;
}

export interface Cluster extends Service {
  status(): Promise<StatusResponse>;
  /** Polls /status until exactly `count` workers exist and all are ready. */
  waitForReady(count: number, timeoutMs?: number): Promise<StatusResponse>;
}

export async function getJson<T>(url: string, timeoutMs = 5_000): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return (await response.json()) as T;
}

/** Waits for `ready`, failing fast (with the child's output) if the child exits first. */
async function awaitReady<T>(child: Child, ready: Promise<T>): Promise<T> {
  try {
    return await Promise.race([
      ready,
      child.exited.then((code) => {
        throw new Error(`${child.label} exited with ${code} before it was ready`);
      }),
    ]);
  } catch (error) {
    await child.stop(2_000);
    const tail = child.output().slice(-2_000);
    throw new Error(`${(error as Error).message}\n--- ${child.label} output ---\n${tail}`);
  }
}

/**
 * Node arguments of our scrape fixture: tsx for the fixture itself (and its forked workers), the
 * probe that times scrapes inside the manager's metrics thread (bench/fixtures/ours-main.ts).
 */
export const OURS_FIXTURE_ARGS = [
  '--import',
  'tsx',
  '--import',
  './bench/fixtures/metrics-thread-probe.mjs',
  'bench/fixtures/ours-main.ts',
];

export interface ClusterOptions {
  label: string;
  workers: number;
  /** Node arguments: the entry file, and a loader for .ts fixtures. */
  args?: string[];
  env?: Record<string, string>;
  timeoutMs?: number;
  /**
   * Keep the service's defaults where the bench otherwise changes them (WORKER_MIN_UPTIME_MS=0,
   * LOG_LEVEL=warn): the SIGKILL row measures the service as it ships.
   */
  atDefaults?: boolean;
}

/** Our cluster: dist/main.js by default, or a fixture that calls the same runManager/runWorker. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const apiPort = await freePort();
  const metricsPort = await freePort();
  const child = spawnChild(options.label, options.args ?? ['dist/main.js'], {
    HOST: LOOPBACK,
    METRICS_HOST: LOOPBACK,
    PORT: String(apiPort),
    METRICS_PORT: String(metricsPort),
    WORKERS: String(options.workers),
    ...(options.atDefaults ? {} : { LOG_LEVEL: 'warn', WORKER_MIN_UPTIME_MS: '0' }),
    ...options.env,
  });
  const apiUrl = `http://${LOOPBACK}:${apiPort}`;
  const managerUrl = `http://${LOOPBACK}:${metricsPort}`;
  const status = () => getJson<StatusResponse>(`${managerUrl}/status`);
  const waitForReady = (count: number, timeoutMs = 60_000) =>
    waitUntil(
      async () => {
        const s = await status();
        const settled = s.workers.length === count && s.workers.every((w) => w.state === 'ready');
        return settled ? s : undefined;
      },
      `${options.label}: ${count} ready workers`,
      timeoutMs,
    );
  await awaitReady(child, waitForReady(options.workers, options.timeoutMs));
  return {
    label: options.label,
    child,
    apiUrl,
    managerUrl,
    status,
    waitForReady,
    stop: () => child.stop(),
  };
}

/** The stock prom-client cluster fixture: its primary reports `{ ready }` on /status. */
export async function startStockCluster(options: ClusterOptions): Promise<Service> {
  const apiPort = await freePort();
  const metricsPort = await freePort();
  const child = spawnChild(
    options.label,
    options.args ?? ['--import', 'tsx', 'bench/fixtures/stock-main.ts'],
    {
      PORT: String(apiPort),
      METRICS_PORT: String(metricsPort),
      WORKERS: String(options.workers),
      ...options.env,
    },
  );
  const apiUrl = `http://${LOOPBACK}:${apiPort}`;
  const managerUrl = `http://${LOOPBACK}:${metricsPort}`;
  await awaitReady(
    child,
    waitUntil(
      async () =>
        (await getJson<{ ready: number }>(`${managerUrl}/status`)).ready === options.workers,
      `${options.label}: ${options.workers} listening workers`,
      options.timeoutMs ?? 60_000,
    ),
  );
  return { label: options.label, child, apiUrl, managerUrl, stop: () => child.stop() };
}

export interface Server {
  label: string;
  child: Child;
  url: string;
  stop(): Promise<number | string>;
}

/** A single-process bench server (bench/servers/*.ts), ready once `probePath` answers 200. */
export async function startServer(
  label: string,
  script: string,
  env: Record<string, string>,
  probePath: string,
  cpus?: string,
): Promise<Server> {
  const port = await freePort();
  const child = spawnChild(
    label,
    ['--import', 'tsx', script],
    { PORT: String(port), HOST: LOOPBACK, ...env },
    cpus === undefined ? {} : { cpus },
  );
  const url = `http://${LOOPBACK}:${port}`;
  await awaitReady(
    child,
    waitUntil(
      async () => {
        const response = await fetch(`${url}${probePath}`, { signal: AbortSignal.timeout(2_000) });
        await response.arrayBuffer();
        return response.ok;
      },
      `${label} to serve ${probePath}`,
      30_000,
    ),
  );
  return { label, child, url, stop: () => child.stop(5_000) };
}

/** Stops every service, whatever happens to each one. */
export async function stopAll(services: readonly ({ stop(): Promise<unknown> } | undefined)[]) {
  await Promise.allSettled(services.map((s) => s?.stop()));
}
