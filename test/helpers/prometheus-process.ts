// A real Prometheus for tests: Debian's binary on a free loopback port, a temporary data
// directory, the config from prometheus-config.ts, and a small client for its query API.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/lib/free-port.js';
import { waitUntil } from '../../scripts/lib/wait.js';
import { deriveConfig } from './prometheus-config.js';
import { findTool } from './tools.js';

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface RangeSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

export interface PrometheusHandle {
  url: string;
  port: number;
  dir: string;
  configFile: string;
  /** Unix seconds when Prometheus became ready. */
  startedAt: number;
  query(expr: string, time?: number): Promise<Sample[]>;
  queryRange(expr: string, start: number, end: number, stepSeconds: number): Promise<RangeSeries[]>;
  /** The exemplars stored for the series `expr` selects, observed between start and end. */
  queryExemplars(expr: string, start: number, end: number): Promise<SeriesExemplars[]>;
  /** Polls `expr` until `accept` returns true for its result (or the deadline passes). */
  waitFor(
    expr: string,
    accept: (samples: Sample[]) => boolean,
    description: string,
    timeoutMs?: number,
  ): Promise<Sample[]>;
  logs(): string;
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** host:port of the cluster manager's metrics endpoint. */
  target: string;
  /** Scrape and evaluation interval (default 1s). */
  interval?: string;
  binary?: string;
  readyTimeoutMs?: number;
  /** --enable-feature flags, e.g. exemplar-storage. */
  features?: string[];
}

/** One series' exemplars as /api/v1/query_exemplars returns them. */
export interface SeriesExemplars {
  seriesLabels: Record<string, string>;
  exemplars: { labels: Record<string, string>; value: string; timestamp: number }[];
}

export class PrometheusQueryError extends Error {
  constructor(
    readonly expr: string,
    readonly errorType: string,
    message: string,
  ) {
    super(`${errorType}: ${message}\n  in: ${expr}`);
    this.name = 'PrometheusQueryError';
  }
}

/** Starts /usr/bin/prometheus on a free loopback port with a temporary data directory. */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusHandle> {
  const binary = options.binary ?? findTool('prometheus');
  if (!binary) throw new Error('prometheus binary not found (apt-get install prometheus)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kcs-prometheus-'));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const configFile = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(
    configFile,
    deriveConfig({ target: options.target, self: address, interval: options.interval }),
  );
  const proc = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      '--storage.tsdb.retention.time=1d',
      `--web.listen-address=${address}`,
      '--log.level=info',
      ...(options.features ?? []).map((feature) => `--enable-feature=${feature}`),
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const killOnExit = () => proc.kill('SIGKILL');
  process.once('exit', killOnExit);

  const url = `http://${address}`;

  async function api<T>(
    endpoint: string,
    params: Record<string, string>,
    expr: string,
  ): Promise<T> {
    const response = await fetch(`${url}${endpoint}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as {
      status: string;
      // query and query_range wrap their result; query_exemplars answers the list itself.
      data?: { resultType: string; result: T } | T;
      errorType?: string;
      error?: string;
    };
    if (body.status !== 'success' || !body.data) {
      throw new PrometheusQueryError(
        expr,
        body.errorType ?? String(response.status),
        body.error ?? '',
      );
    }
    return Array.isArray(body.data) ? (body.data as T) : (body.data as { result: T }).result;
  }

  const handle: PrometheusHandle = {
    url,
    port,
    dir,
    configFile,
    startedAt: 0,
    async query(expr, time) {
      const params: Record<string, string> = { query: expr };
      if (time !== undefined) params.time = String(time);
      const result = await api<Sample[] | [number, string]>('/api/v1/query', params, expr);
      // Scalars come back as a bare [time, value]; callers want a vector.
      if (result.length === 2 && typeof result[0] === 'number') {
        return [{ metric: {}, value: result as [number, string] }];
      }
      return result as Sample[];
    },
    queryRange(expr, start, end, stepSeconds) {
      return api<RangeSeries[]>(
        '/api/v1/query_range',
        { query: expr, start: String(start), end: String(end), step: String(stepSeconds) },
        expr,
      );
    },
    queryExemplars(expr, start, end) {
      return api<SeriesExemplars[]>(
        '/api/v1/query_exemplars',
        { query: expr, start: String(start), end: String(end) },
        expr,
      );
    },
    waitFor(expr, accept, description, timeoutMs = 20_000) {
      return waitUntil(
        async () => {
          const samples = await handle.query(expr);
          return accept(samples) ? samples : undefined;
        },
        `${description} (${expr})`,
        timeoutMs,
        250,
      );
    },
    logs: () => output,
    async stop() {
      process.off('exit', killOnExit);
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    await Promise.race([
      waitUntil(
        async () => (await fetch(`${url}/-/ready`)).status === 200,
        `Prometheus ready on ${address}`,
        options.readyTimeoutMs ?? 30_000,
        100,
      ),
      exited.then((code) => {
        throw new Error(`prometheus exited with ${code} before it was ready:\n${output}`);
      }),
    ]);
  } catch (error) {
    await handle.stop();
    throw error;
  }
  handle.startedAt = Date.now() / 1000;
  return handle;
}
