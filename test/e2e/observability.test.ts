// The dashboards and rules against the real thing: the compiled cluster (dist/main.js) under
// traffic, a SIGKILLed worker and a SIGHUP reload, scraped every second by Debian's Prometheus
// loaded with the repo's rules and a config derived from prometheus/prometheus.yml. Every
// dashboard query (k6 panels: parse only) and every recording rule must return data, alert
// expressions must name only metrics that exist, `promtool check metrics` must pass on the live
// output, and the cluster-wide request counter must never reset.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { dashboardExpressions } from '../helpers/dashboards.js';
import {
  PrometheusQueryError,
  startPrometheus,
  type PrometheusHandle,
} from '../helpers/prometheus-process.js';
import { metricNames } from '../helpers/promql.js';
import { alertRuleExpressions, recordingRuleExpressions } from '../helpers/rules.js';
import { describeWithTools } from '../helpers/observed-cluster.js';
import { run } from '../helpers/tools.js';
import { waitUntil } from '../../scripts/lib/wait.js';

/** Dashboards that show k6 results: nothing pushes k6 metrics here, so they are only parsed. */
const PARSE_ONLY_DASHBOARDS = new Set(['k6.json']);

interface Traffic {
  stop(): Promise<void>;
  counts: Map<string, number>;
  errors: number;
}

/**
 * Keeps a few concurrent clients busy until stopped: 2xx on every route, 400s
 * (/api/work?ms=abc), 404s on random unknown paths (route `unmatched`), and slow requests
 * (/api/delay?ms=600, above the 0.5 s SLO bucket) on a client of their own.
 */
function startTraffic(apiUrl: string): Traffic {
  // Bounded: a connection stranded by the SIGKILLed worker must not hang the test.
  const fetch = (url: string, init: RequestInit = {}) =>
    globalThis.fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const counts = new Map<string, number>();
  let stopped = false;
  const traffic = { counts, errors: 0 } as Traffic;
  const fast: (() => Promise<Response>)[] = [
    () => fetch(`${apiUrl}/`),
    () => fetch(`${apiUrl}/healthz`),
    () => fetch(`${apiUrl}/readyz`),
    () => fetch(`${apiUrl}/api/hello?name=e2e`),
    () => fetch(`${apiUrl}/api/work?ms=2`),
    () => fetch(`${apiUrl}/api/work?ms=abc`),
    () => fetch(`${apiUrl}/no/such/path/${Math.random().toString(36).slice(2)}`),
    () =>
      fetch(`${apiUrl}/api/hash`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input: 'e2e', iterations: 1000 }),
      }),
  ];
  const slow = () => fetch(`${apiUrl}/api/delay?ms=600`);

  async function client(requests: (() => Promise<Response>)[], offset: number) {
    for (let i = offset; !stopped; i += 1) {
      const request = requests[i % requests.length] as () => Promise<Response>;
      try {
        const response = await request();
        await response.arrayBuffer();
        const key = String(response.status);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      } catch {
        // A SIGKILLed worker drops its connections; that is part of the test.
        traffic.errors += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }
  const clients = [0, 1, 2, 3].map((offset) => client(fast, offset * 2));
  clients.push(client([slow], 0));
  traffic.stop = async () => {
    stopped = true;
    await Promise.all(clients);
  };
  return traffic;
}

/** Runs `check` on every item until all pass or the deadline passes; returns the failures. */
async function pollAll<T>(
  items: T[],
  check: (item: T) => Promise<string | undefined>,
  timeoutMs: number,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let pending = items;
  let failures: string[] = [];
  for (;;) {
    const results = await Promise.all(
      pending.map(async (item) => ({ item, why: await check(item) })),
    );
    pending = results.filter((r) => r.why !== undefined).map((r) => r.item);
    failures = results.flatMap((r) => (r.why === undefined ? [] : [r.why]));
    if (pending.length === 0 || Date.now() > deadline) return failures;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describeWithTools(
  ['prometheus', 'promtool'],
  'observability e2e: real cluster, real Prometheus',
  (tools) => {
    let cluster: ClusterHandle | undefined;
    let prometheus: PrometheusHandle | undefined;
    let traffic: Traffic | undefined;

    beforeAll(async () => {
      cluster = await startCluster({
        env: {
          WORKERS: '2',
          // Below Prometheus' 1 s scrape timeout: a slow worker makes a partial scrape, never a
          // failed one.
          METRICS_COLLECT_TIMEOUT_MS: '500',
        },
      });
      prometheus = await startPrometheus({
        target: `127.0.0.1:${cluster.metricsPort}`,
        interval: '1s',
      });
      traffic = startTraffic(cluster.apiUrl);
    }, 60_000);

    afterAll(async () => {
      await traffic?.stop();
      await prometheus?.stop();
      await cluster?.stop();
    }, 60_000);

    const p = () => prometheus as PrometheusHandle;
    const c = () => cluster as ClusterHandle;
    const total = (samples: { value: [number, string] }[]) =>
      samples.reduce((sum, s) => sum + Number(s.value[1]), 0);

    it('Prometheus scrapes the cluster and sees 2xx, 4xx, 404 and slow requests', async () => {
      await p().waitFor('up{job="cluster"} == 1', (s) => s.length === 1, 'the cluster target up');
      await p().waitFor(
        'count by (status_code) (http_request_duration_seconds_count{job="cluster"})',
        (s) => ['200', '400', '404'].every((code) => s.some((x) => x.metric.status_code === code)),
        '200, 400 and 404 series',
      );
      await p().waitFor(
        'sum(http_request_duration_seconds_count{route="unmatched", status_code="404"})',
        (s) => total(s) > 0,
        '404s labelled route="unmatched"',
      );
      await p().waitFor(
        'sum(http_request_duration_seconds_count{route="/api/delay"}) - sum(http_request_duration_seconds_bucket{route="/api/delay", le="0.5"})',
        (s) => total(s) > 0,
        'slow requests above the 0.5 s bucket',
      );
    });

    it('keeps counting across a SIGKILLed worker and a SIGHUP rolling reload', async () => {
      const before = await c().status();
      const victim = before.workers.find((w) => w.state === 'ready');
      expect(victim, 'a ready worker to kill').toBeDefined();
      process.kill(victim!.pid, 'SIGKILL');
      await p().waitFor(
        'cluster_worker_restarts_total{job="cluster", reason="crash"}',
        (s) => s.length > 0,
        'a crash restart',
      );
      await c().waitForReady(2);

      c().proc.kill('SIGHUP');
      await p().waitFor(
        'sum(cluster_worker_restarts_total{job="cluster", reason="reload"})',
        (s) => total(s) >= 2,
        'both slots replaced by the reload',
        30_000,
      );
      await waitUntil(
        async () => {
          const s = await c().status();
          return !s.manager.reloading && s.workers.filter((w) => w.state === 'ready').length === 2;
        },
        'the reload to finish with 2 ready workers',
        30_000,
      );
      // Let the new workers serve and be scraped for a few seconds.
      const settled = Date.now() / 1000 + 3;
      await p().waitFor(
        'timestamp(up{job="cluster"})',
        (s) => s.length === 1 && Number(s[0]!.value[1]) > settled,
        'scrapes after the reload',
      );
    });

    it('every recording rule returns at least one series', async () => {
      const rules = recordingRuleExpressions();
      expect(rules.length).toBeGreaterThan(0);
      const failures = await pollAll(
        rules,
        async (rule) => {
          // The recorded series: proves Prometheus evaluated the rule, not just that it parses.
          const recorded = await p().query(`count(${rule.name})`);
          if (total(recorded) > 0) return undefined;
          const direct = await p().query(rule.expr);
          return `${rule.file} ${rule.name}: recorded no series (expr alone: ${direct.length} series)`;
        },
        20_000,
      );
      expect(failures).toEqual([]);
    });

    it('every dashboard query returns data (variables substituted; k6 panels parse only)', async () => {
      const expressions = dashboardExpressions();
      expect(expressions.length).toBeGreaterThan(20);
      const end = Date.now() / 1000;
      const start = p().startedAt;
      const failures = await pollAll(
        expressions,
        async (e) => {
          const label = `${e.dashboard} / ${e.kind} "${e.where}" ${e.refId}: ${e.expr}`;
          try {
            // A range query over the whole test, like a dashboard over its time range: exprs
            // filtered with `> 0` (annotations) only match around the restarts.
            const series = await p().queryRange(e.expr, start, Math.max(end, Date.now() / 1000), 2);
            if (PARSE_ONLY_DASHBOARDS.has(e.dashboard)) return undefined;
            const withValues = series.filter((s) => s.values.length > 0);
            return withValues.length > 0 ? undefined : `no data: ${label}`;
          } catch (error) {
            if (error instanceof PrometheusQueryError)
              return `invalid: ${label}\n  ${error.message}`;
            throw error;
          }
        },
        20_000,
      );
      expect(failures).toEqual([]);
    });

    it('alert and rule expressions are valid and name only metrics and labels that exist', async () => {
      // Alerts rarely match anything in a healthy test run, and recording rules' `or` branches can
      // hide a missing input; so check what they select: every metric name, and every label name
      // used in a matcher (`reason="hung"` needs a `reason` label, not that value).
      const problems: string[] = [];
      const exists = async (selector: string) => total(await p().query(`count(${selector})`)) > 0;
      for (const rule of [...alertRuleExpressions(), ...recordingRuleExpressions()]) {
        try {
          await p().query(rule.expr);
        } catch (error) {
          problems.push(`${rule.name}: ${(error as Error).message}`);
          continue;
        }
        for (const name of metricNames(rule.expr)) {
          if (!(await exists(`{__name__="${name}"}`)))
            problems.push(`${rule.name}: no series ${name}`);
        }
        for (const [, name, matchers] of rule.expr.matchAll(/([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g)) {
          for (const [, label] of (matchers as string).matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)) {
            if (!(await exists(`${name}{${label}!=""}`))) {
              problems.push(`${rule.name}: ${name} has no label ${label}`);
            }
          }
        }
      }
      expect(problems).toEqual([]);
    });

    it('promtool check metrics finds nothing wrong in the live /metrics', async () => {
      const response = await fetch(`${c().managerUrl}/metrics`);
      expect(response.status).toBe(200);
      const text = await response.text();
      const result = run(tools.paths.promtool as string, ['check', 'metrics'], { input: text });
      expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    });

    it('the cluster-wide request counter never reset, and no scrape failed', async () => {
      const seconds = Math.ceil(Date.now() / 1000 - p().startedAt) + 1;
      const window = `${seconds}s`;
      const resets = await p().query(
        `resets(sum(http_request_duration_seconds_count{job="cluster"})[${window}:1s])`,
      );
      expect(resets.length).toBe(1);
      expect(Number(resets[0]!.value[1])).toBe(0);
      const up = await p().query(`min_over_time(up{job="cluster"}[${window}])`);
      expect(up.length).toBe(1);
      expect(Number(up[0]!.value[1]), 'a scrape of the manager failed').toBe(1);
      // Prometheus starts scraping a few seconds after it is ready (its discovery sends targets
      // at most every 5 s): count from the first scrape, at least one every 2 s from there on.
      const samples = (await p().query(`up{job="cluster"}[${window}]`)) as unknown as {
        values: [number, string][];
      }[];
      const times = (samples[0]?.values ?? []).map(([t]) => t);
      const span = Date.now() / 1000 - (times[0] ?? Date.now() / 1000);
      expect(times.length, `scrapes at ${times.join(', ')}`).toBeGreaterThanOrEqual(
        Math.floor(span / 2),
      );
      expect(times.length).toBeGreaterThanOrEqual(3);
      // The traffic itself went through: 2xx, 4xx and 404s were answered.
      const counts = traffic!.counts;
      expect(counts.get('200') ?? 0).toBeGreaterThan(0);
      expect(counts.get('400') ?? 0).toBeGreaterThan(0);
      expect(counts.get('404') ?? 0).toBeGreaterThan(0);
    });
  },
);
