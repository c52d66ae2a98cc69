// Starts the real, compiled cluster (dist/main.js) as a child process on free loopback ports and
// gives tests a handle to talk to it, signal it and read its logs.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StatusResponse, WorkerStatus } from '../../src/manager/supervision/lifecycle.js';
import { freePort } from '../../scripts/lib/free-port.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MAIN = path.join(ROOT, 'dist/main.js');

/** A test-only entry of the cluster in test/fixtures/ (for StartOptions.entry). */
export const fixtureEntry = (file: string): string => path.join(ROOT, 'test/fixtures', file);
export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface ClusterHandle {
  proc: ChildProcess;
  apiPort: number;
  metricsPort: number;
  apiUrl: string;
  managerUrl: string;
  /** Everything the cluster wrote to stdout and stderr so far. */
  logs(): string;
  status(): Promise<StatusResponse>;
  readyWorkers(): Promise<WorkerStatus[]>;
  /** Polls /status until `count` workers are ready (and none starting/stopping if settled). */
  waitForReady(count: number, timeoutMs?: number): Promise<WorkerStatus[]>;
  /** Resolves with the manager's exit code (or signal name) once it has exited. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after a deadline; resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | string>;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** Variables to leave out entirely, so the service's own default applies. */
  unset?: string[];
  /** Wait for this many ready workers before resolving (default: WORKERS or 2). 0: don't wait. */
  waitForWorkers?: number;
  timeoutMs?: number;
  /** Runs the cluster under `ulimit -n` (a shell execs node, so proc.pid is the manager's). */
  maxOpenFiles?: number;
  /** Another entry than dist/main.js: a test fixture. */
  entry?: string;
  /**
   * Runs the cluster without the right to listen on privileged ports, even as root (util-linux's
   * setpriv drops CAP_NET_BIND_SERVICE from the bounding set; files stay readable, unlike
   * running as another user from a private checkout).
   */
  withoutPrivilegedPorts?: boolean;
}

const running = new Set<ChildProcess>();

/** Kills every cluster this test file started and did not stop (a failed test's leftovers). */
export function killAllClusters(): void {
  for (const proc of running) proc.kill('SIGKILL');
  running.clear();
}
process.once('exit', killAllClusters);

export async function startCluster(options: StartOptions = {}): Promise<ClusterHandle> {
  const apiPort = Number(options.env?.PORT ?? (await freePort()));
  const metricsPort = Number(options.env?.METRICS_PORT ?? (await freePort()));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    WORKERS: '2',
    HOST: '127.0.0.1',
    METRICS_HOST: '127.0.0.1',
    PORT: String(apiPort),
    METRICS_PORT: String(metricsPort),
    LOG_LEVEL: 'info',
    ADMIN_TOKEN,
    // Runs a suite in the other listen mode: TEST_LISTEN_MODE=reuseport npx vitest run ...
    ...(process.env.TEST_LISTEN_MODE && { LISTEN_MODE: process.env.TEST_LISTEN_MODE }),
    ...options.env,
  };
  for (const name of options.unset ?? []) delete env[name];
  const nodeCommand = [
    ...(options.withoutPrivilegedPorts ? ['setpriv', '--bounding-set', '-net_bind_service'] : []),
    process.execPath,
    options.entry ?? MAIN,
  ];
  const [command = process.execPath, ...args] =
    options.maxOpenFiles === undefined
      ? nodeCommand
      : ['/bin/sh', '-c', `ulimit -n ${options.maxOpenFiles} && exec "$@"`, 'sh', ...nodeCommand];
  const proc = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  let output = '';
  proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => {
      running.delete(proc);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const managerUrl = `http://127.0.0.1:${metricsPort}`;

  const status = async (): Promise<StatusResponse> => {
    const response = await fetch(`${managerUrl}/status`);
    if (!response.ok) throw new Error(`/status answered ${response.status}`);
    return (await response.json()) as StatusResponse;
  };
  const readyWorkers = async () => (await status()).workers.filter((w) => w.state === 'ready');
  const waitForReady = (count: number, timeoutMs = 30_000) =>
    waitUntil(
      async () => {
        const s = await status();
        const ready = s.workers.filter((w) => w.state === 'ready');
        return ready.length === count && s.workers.length === count ? ready : undefined;
      },
      `${count} ready workers (logs:\n${output.slice(-2000)})`,
      timeoutMs,
    );

  const handle: ClusterHandle = {
    proc,
    apiPort,
    metricsPort,
    apiUrl,
    managerUrl,
    logs: () => output,
    status,
    readyWorkers,
    waitForReady,
    exited,
    async stop(timeoutMs = 20_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };

  const want = options.waitForWorkers ?? Number(env.WORKERS);
  if (want > 0) {
    try {
      await Promise.race([
        waitForReady(want, options.timeoutMs ?? 30_000),
        exited.then((code) => {
          throw new Error(`cluster exited with ${code} before ready:\n${output}`);
        }),
      ]);
    } catch (error) {
      proc.kill('SIGKILL');
      throw error;
    }
  }
  return handle;
}
