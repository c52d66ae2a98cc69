// What the metrics promise, against the real cluster: a lint-clean exposition, counters that never
// go down across a SIGKILL, partial (not failed) scrapes around a stopped worker, bounded labels.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { parseSamples, scrape, select, sumOf } from '../helpers/metrics-text.js';
import { requireTool } from '../helpers/require-tool.js';
import { startTraffic } from '../../scripts/lib/traffic.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const run = promisify(execFile);
const COUNT = 'http_request_duration_seconds_count';
const COLLECT_TIMEOUT_MS = 1_000;
const HEARTBEAT_MS = 200;
const WORKERS = 2;
/** Counters every worker advances under load; each must rise between scrapes a second apart. */
const ADVANCING = [
  'process_cpu_seconds_total',
  'nodejs_gc_duration_seconds_count',
  'http_request_duration_seconds_count',
];

describe('the manager’s /metrics', () => {
  let cluster: ClusterHandle;
  beforeAll(async () => {
    cluster = await startCluster({
      env: {
        WORKERS: String(WORKERS),
        METRICS_COLLECT_TIMEOUT_MS: String(COLLECT_TIMEOUT_MS),
        // High enough that a SIGSTOPped worker is not replaced during the test.
        WORKER_TIMEOUT_MS: '120000',
        HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
      },
    });
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('passes `promtool check metrics`, in both text formats', async () => {
    const promtool = requireTool('promtool', 'apt-get install prometheus');
    if (!promtool) return;
    await fetch(`${cluster.apiUrl}/api/hello?name=x`);
    await fetch(`${cluster.apiUrl}/api/work?ms=abc`);
    const text = await (await fetch(`${cluster.managerUrl}/metrics`)).text();
    const check = await run('sh', ['-c', `printf '%s' "$METRICS" | ${promtool} check metrics`], {
      env: { ...process.env, METRICS: text },
    }).catch((error: { stdout: string; stderr: string }) => error);
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');

    const om = await fetch(`${cluster.managerUrl}/metrics`, {
      headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;q=0.5' },
    });
    expect(om.headers.get('content-type')).toMatch(/^application\/openmetrics-text/);
    const omText = await om.text();
    expect(omText.trimEnd().endsWith('# EOF')).toBe(true);
    expect(omText).toMatch(/^# TYPE http_request_duration_seconds histogram$/m);
    expect(omText).toMatch(/^# TYPE cluster_worker_restarts counter$/m);
    expect(omText).not.toMatch(/_total_total/);
  });

  it('exports the manager-owned per-slot metrics', async () => {
    const samples = await scrape(cluster.managerUrl);
    for (const slot of ['0', '1']) {
      expect(select(samples, 'cluster_worker_up', { slot })[0]?.[1]).toBe(1);
      expect(select(samples, 'cluster_worker_scrape_success', { slot })[0]?.[1]).toBe(1);
      expect(select(samples, 'cluster_worker_heartbeat_age_seconds', { slot })).toHaveLength(1);
      expect(select(samples, 'cluster_worker_event_loop_delay_seconds', { slot })).toHaveLength(1);
      expect(
        select(samples, 'cluster_worker_resident_memory_bytes', { slot })[0]?.[1],
      ).toBeGreaterThan(1e6);
      expect(select(samples, 'cluster_worker_cpu_seconds_total', { slot })[0]?.[1]).toBeGreaterThan(
        0,
      );
    }
    expect(samples.get('cluster_workers{state="ready"}')).toBe(2);
    expect(samples.get('cluster_workers_desired')).toBe(2);
    expect(sumOf(samples, 'cluster_scrape_duration_seconds_count')).toBeGreaterThan(0);
    expect(samples.get('cluster_manager_process_resident_memory_bytes')).toBeGreaterThan(1e6);
    // Workers' process metrics are summed; the manager's own stay apart under their prefix.
    expect(samples.get('process_resident_memory_bytes')).toBeGreaterThan(1e6);
  });

  it('reports the manager process’s own descriptors, memory and start time (read on its metrics thread)', async () => {
    const pid = cluster.proc.pid!;
    const samples = await scrape(cluster.managerUrl);
    const value = (name: string) => samples.get(`cluster_manager_${name}`);

    // Descriptors come and go with connections (this scrape's among them): close, not equal.
    const fds = (await readdir(`/proc/${pid}/fd`)).length;
    expect(Math.abs(value('process_open_fds')! - fds)).toBeLessThanOrEqual(8);
    const limits = await readFile(`/proc/${pid}/limits`, 'utf8');
    const maxFds = Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1]);
    expect(value('process_max_fds')).toBe(maxFds);

    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const rssBytes = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]) * 1024;
    expect(value('process_resident_memory_bytes')! / rssBytes).toBeGreaterThan(0.5);
    expect(value('process_resident_memory_bytes')! / rssBytes).toBeLessThan(2);

    // /proc/<pid>/stat field 22: start time in clock ticks (100 per second) since boot.
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const bootTime = Number(/^btime (\d+)/m.exec(await readFile('/proc/stat', 'utf8'))?.[1]);
    expect(
      Math.abs(value('process_start_time_seconds')! - (bootTime + startTicks / 100)),
    ).toBeLessThanOrEqual(2);

    expect(value('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(
      select(samples, 'cluster_manager_nodejs_version_info', { version: process.version }),
    ).toHaveLength(1);
  });

  it('advances every worker-driven counter between scrapes a second apart, under load', async () => {
    // /api/work burns CPU; /api/hello allocates per request, so young-generation GCs keep coming.
    const work = startTraffic(`${cluster.apiUrl}/api/work?ms=10`, 2);
    const hello = startTraffic(`${cluster.apiUrl}/api/hello?name=gc`, 4);
    try {
      let previous = await scrape(cluster.managerUrl);
      for (let round = 1; round <= 3; round += 1) {
        const after = Date.now() + 1_000;
        await waitUntil(() => Date.now() >= after, 'a second between scrapes', 5_000, 50);
        const samples = await scrape(cluster.managerUrl);
        for (const name of ADVANCING) {
          expect(sumOf(samples, name), `${name}, scrape ${round}`).toBeGreaterThan(
            sumOf(previous, name),
          );
        }
        previous = samples;
      }
    } finally {
      await Promise.all([work.stop(), hello.stop()]);
    }
  });

  it('reports the same CPU through the scrape and through the heartbeats', async () => {
    // Two independent paths: process_cpu_seconds_total comes from the workers' registries over
    // the metrics links; cluster_worker_cpu_seconds_total from heartbeats over IPC. They start
    // counting at different moments (prom-client at registration, heartbeats at process start),
    // so their increases are compared. A heartbeat's figure is at most one interval (plus one
    // 10 ms request blocking its timer) old, and a worker burns at most 2 cores (this machine),
    // so the increases may differ by WORKERS x (interval + 10 ms) x 2 cores, and no more.
    const tolerance = WORKERS * ((HEARTBEAT_MS + 10) / 1000) * 2;
    const cpu = async () => {
      const samples = await scrape(cluster.managerUrl);
      return {
        scraped: sumOf(samples, 'process_cpu_seconds_total'),
        beaten: sumOf(samples, 'cluster_worker_cpu_seconds_total'),
      };
    };
    const work = startTraffic(`${cluster.apiUrl}/api/work?ms=10`, 4);
    try {
      const before = await cpu();
      const after = Date.now() + 4_000;
      await waitUntil(() => Date.now() >= after, 'four seconds of load', 10_000, 100);
      const later = await cpu();
      const scraped = later.scraped - before.scraped;
      const beaten = later.beaten - before.beaten;
      expect(scraped).toBeGreaterThan(tolerance);
      expect(
        Math.abs(scraped - beaten),
        `scrape +${scraped}, heartbeats +${beaten}`,
      ).toBeLessThanOrEqual(tolerance);
    } finally {
      await work.stop();
    }
  });

  it('adds no series for 2,000 requests to random unknown paths', async () => {
    const before = await scrape(cluster.managerUrl);
    const seriesBefore = select(before, 'http_request_duration_seconds_count').length;
    for (let batch = 0; batch < 20; batch += 1) {
      await Promise.all(
        Array.from({ length: 100 }, () =>
          fetch(`${cluster.apiUrl}/nope/${Math.random().toString(36).slice(2)}`).then((r) =>
            r.text(),
          ),
        ),
      );
    }
    const after = await scrape(cluster.managerUrl);
    const unmatched = select(after, COUNT, { route: 'unmatched', status_code: '404' });
    expect(unmatched).toHaveLength(1);
    expect(unmatched[0]?.[1]).toBeGreaterThanOrEqual(2_000);
    // At most the one `unmatched` 404 label set is new: 13 buckets, no more.
    expect(select(after, COUNT).length).toBeLessThanOrEqual(seriesBefore + 1);
    const buckets = (samples: typeof before) =>
      select(samples, 'http_request_duration_seconds_bucket').length;
    expect(buckets(after)).toBeLessThanOrEqual(buckets(before) + 13);
    for (const [series] of after) expect(series).not.toMatch(/nope/);
  });

  it('never lowers the request count across a SIGKILL under load (12 scrapes)', async () => {
    const traffic = startTraffic(`${cluster.apiUrl}/api/hello`, 8);
    try {
      const totals: number[] = [];
      for (let i = 0; i < 12; i += 1) {
        if (i === 5) {
          const victim = (await cluster.status()).workers.find((w) => w.slot === 1)!;
          process.kill(victim.pid, 'SIGKILL');
        }
        totals.push(sumOf(await scrape(cluster.managerUrl), COUNT));
        const seen = traffic.result.ok;
        await waitUntil(
          () => traffic.result.ok > seen + 20,
          'more traffic between scrapes',
          10_000,
        );
      }
      for (let i = 1; i < totals.length; i += 1) {
        expect(totals[i], `scrape ${i}: ${totals.join(', ')}`).toBeGreaterThanOrEqual(
          totals[i - 1]!,
        );
      }
      expect(totals.at(-1)).toBeGreaterThan(totals[0]!);
    } finally {
      await traffic.stop();
    }
    await cluster.waitForReady(2);
  });

  it('answers within the deadline with a stopped worker, flags it, and recovers after SIGCONT', async () => {
    for (let i = 0; i < 20; i += 1) await fetch(`${cluster.apiUrl}/api/hello`);
    const before = sumOf(await scrape(cluster.managerUrl), COUNT);
    const victim = (await cluster.status()).workers.find((w) => w.slot === 0)!;
    process.kill(victim.pid, 'SIGSTOP');
    try {
      const started = Date.now();
      const response = await fetch(`${cluster.managerUrl}/metrics`);
      const text = await response.text();
      const elapsed = Date.now() - started;
      expect(response.status).toBe(200);
      expect(elapsed).toBeLessThan(COLLECT_TIMEOUT_MS + 1_000);
      const samples = parseSamples(text);
      expect(samples.get('cluster_worker_scrape_success{slot="0"}')).toBe(0);
      expect(samples.get('cluster_worker_scrape_success{slot="1"}')).toBe(1);
      expect(sumOf(samples, COUNT)).toBeGreaterThanOrEqual(before);
    } finally {
      process.kill(victim.pid, 'SIGCONT');
    }
    await waitUntil(
      async () =>
        (await scrape(cluster.managerUrl)).get('cluster_worker_scrape_success{slot="0"}') === 1,
      'slot 0 to answer again after SIGCONT',
      10_000,
    );
    const pids = (await cluster.status()).workers.map((w) => w.pid);
    expect(pids).toContain(victim.pid);
  });
});
