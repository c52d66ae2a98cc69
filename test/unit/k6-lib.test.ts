// The k6 scripts' shared logic that runs the same in Node: configuration from __ENV (with the
// target rule), the summary writer, and the endpoint rules. k6 modules are loaded by path at run
// time (they import each other with .ts extensions, which only k6/tsconfig.json allows).
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bodyProblems, ENDPOINTS, mix, pathWithQuery } from '../../k6/lib/endpoints.js';
import {
  durationSeconds,
  LOAD,
  RELOAD,
  SLO,
  SLO_LIMITS,
  SMOKE,
  SPIKE,
  STRESS,
  ZERO_FAILURE_LIMITS,
} from '../../k6/lib/scenarios.js';
import { parseStatus, reloadComplete } from '../../k6/lib/status.js';

const K6_LIB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../k6/lib');

interface ConfigModule {
  BASE_URL: string;
  MANAGER_URL: string | undefined;
  ADMIN_TOKEN: string;
  SUMMARY_DIR: string;
  envInt(name: string, fallback: number, min?: number, max?: number): number;
  envDuration(name: string, fallback: string): string;
  testTags(scenario: string): { testid: string };
}

interface ThresholdsModule {
  limitThresholds(limits: { maxErrorRate: number; p99FastMs: number }): Record<string, unknown[]>;
}

interface SummaryModule {
  summaryHandler(scenario: string): (data: unknown) => Record<string, string>;
  textSummary(scenario: string, data: unknown): string;
}

/** Loads a k6/lib module with `__ENV` set as k6 would. */
async function load<T>(file: string, env: Record<string, string> = {}): Promise<T> {
  vi.resetModules();
  vi.stubGlobal('__ENV', env);
  return (await import(pathToFileURL(path.join(K6_LIB, file)).href)) as T;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('k6/lib/config.ts', () => {
  it('defaults to localhost and the manager on 127.0.0.1:9464', async () => {
    const c = await load<ConfigModule>('config.ts');
    expect(c.BASE_URL).toBe('http://localhost:8080');
    expect(c.MANAGER_URL).toBe('http://127.0.0.1:9464');
    expect(c.ADMIN_TOKEN).toBe('');
    expect(c.SUMMARY_DIR).toBe('reports/k6');
  });

  it('reads the environment; MANAGER_URL=off skips the manager', async () => {
    const c = await load<ConfigModule>('config.ts', {
      BASE_URL: 'http://app:8080/',
      MANAGER_URL: 'off',
      ADMIN_TOKEN: 'token-0123456789abcdef',
      SUMMARY_DIR: '/results/',
    });
    expect(c.BASE_URL).toBe('http://app:8080');
    expect(c.MANAGER_URL).toBeUndefined();
    expect(c.ADMIN_TOKEN).toBe('token-0123456789abcdef');
    expect(c.SUMMARY_DIR).toBe('/results');
  });

  it('tags every run with a test-wide testid: TESTID, else the scenario and start time', async () => {
    const c = await load<ConfigModule>('config.ts');
    expect(c.testTags('load').testid).toMatch(/^load-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const set = await load<ConfigModule>('config.ts', { TESTID: 'release-1.4-canary' });
    expect(set.testTags('load')).toEqual({ testid: 'release-1.4-canary' });
  });

  it.each(['http://example.com', 'http://10.0.0.5:8080', 'http://[fe80::1]:8080'])(
    'refuses to target %s',
    async (url) => {
      await expect(load('config.ts', { BASE_URL: url })).rejects.toThrow(/refusing to load-test/);
    },
  );

  it('targets a named host only when ALLOWED_HOSTS lists it', async () => {
    const c = await load<ConfigModule>('config.ts', {
      BASE_URL: 'http://staging.internal:8080',
      ALLOWED_HOSTS: 'other, staging.internal',
    });
    expect(c.BASE_URL).toBe('http://staging.internal:8080');
  });

  it('rejects URLs with a path and malformed numbers and durations, naming the variable', async () => {
    await expect(load('config.ts', { BASE_URL: 'http://localhost:8080/api' })).rejects.toThrow(
      /BASE_URL=.*origin/,
    );
    const c = await load<ConfigModule>('config.ts', { N: '12', BAD: '1.5', D: '5m', X: '5 min' });
    expect(c.envInt('N', 1)).toBe(12);
    expect(c.envInt('MISSING', 7)).toBe(7);
    expect(() => c.envInt('BAD', 1)).toThrow(/BAD="1.5": must be an integer/);
    expect(() => c.envInt('N', 1, 20)).toThrow(/from 20/);
    expect(c.envDuration('D', '1m')).toBe('5m');
    expect(() => c.envDuration('X', '1m')).toThrow(/X="5 min": must be a duration/);
  });
});

describe('k6/lib/scenarios.ts and thresholds.ts', () => {
  it('reads k6 durations in seconds', () => {
    expect(durationSeconds('1h30m')).toBe(5400);
    expect(durationSeconds('1m30s')).toBe(90);
    expect(durationSeconds('500ms')).toBe(0.5);
  });

  it('states the SLOs as k6 thresholds; zero tolerance means not one failure', async () => {
    const t = await load<ThresholdsModule>('thresholds.ts');
    // The SLOs (load, stress, spike, soak), and zero tolerance (reload, smoke).
    expect(t.limitThresholds(SLO_LIMITS)).toEqual({
      http_req_failed: [`rate<${SLO.maxErrorRate}`],
      'http_req_duration{expected_latency:fast}': [`p(99)<${SLO.p99FastMs}`],
      checks: ['rate>0.999'],
    });
    expect(t.limitThresholds(ZERO_FAILURE_LIMITS)).toEqual({
      http_req_failed: ['rate<=0'],
      'http_req_duration{expected_latency:fast}': [`p(99)<${SLO.p99FastMs}`],
      checks: ['rate>=1'],
    });
    expect(SMOKE.limits.maxErrorRate).toBe(0);
    expect(RELOAD.limits.maxErrorRate).toBe(0);
    expect(LOAD.limits).toEqual({ maxErrorRate: SLO.maxErrorRate, p99FastMs: SLO.p99FastMs });
  });

  it('shapes load and spike as ramping arrival rates', () => {
    expect(LOAD.shape(LOAD.defaults)).toEqual({
      startRate: 0,
      stages: [
        { duration: '1m', target: 200 },
        { duration: '3m', target: 200 },
        { duration: '30s', target: 0 },
      ],
    });
    const spike = SPIKE.shape(SPIKE.defaults);
    expect(spike.startRate).toBe(50);
    expect(spike.stages.map((s) => s.target)).toEqual([50, 1000, 1000, 50, 50]);
  });

  it('steps stress one after the other, each with its tag and rate', () => {
    const steps = STRESS.steps({ startRps: 100, stepRps: 50, steps: 3, stepDuration: '2m' });
    expect(steps).toEqual([
      { step: '01', rate: 100, duration: '2m', startSec: 0 },
      { step: '02', rate: 150, duration: '2m', startSec: 120 },
      { step: '03', rate: 200, duration: '2m', startSec: 240 },
    ]);
  });
});

describe('k6/lib/summary.ts', () => {
  const data = {
    state: { testRunDurationMs: 12_345 },
    root_group: {
      name: '',
      path: '',
      checks: [],
      groups: [
        {
          name: 'api',
          path: '::api',
          groups: [],
          checks: [
            { name: 'GET /: status 200', passes: 3, fails: 0 },
            { name: 'GET /: body', passes: 2, fails: 1 },
          ],
        },
      ],
    },
    metrics: {
      http_req_failed: {
        type: 'rate',
        contains: 'default',
        values: { rate: 0.25, passes: 1, fails: 3 },
        thresholds: { 'rate<=0': { ok: false } },
      },
      'http_req_duration{expected_latency:fast}': {
        type: 'trend',
        contains: 'time',
        values: { avg: 12.5, 'p(99)': 40.25, max: 1500 },
        thresholds: { 'p(99)<500': { ok: true } },
      },
      http_reqs: { type: 'counter', contains: 'default', values: { count: 4, rate: 0.32 } },
    },
  };

  it('leads with the verdict, then thresholds, checks and metrics', async () => {
    const s = await load<SummaryModule>('summary.ts');
    const text = s.textSummary('smoke', data);
    expect(text.split('\n')[0]).toBe('k6 scenario "smoke": FAILED in 12.3s');
    expect(text).toContain('FAIL http_req_failed rate<=0   (rate=25.000% passes=1 fails=3)');
    expect(text).toContain('PASS http_req_duration{expected_latency:fast} p(99)<500');
    expect(text).toContain('p(99)=40.25ms');
    expect(text).toContain('max=1.50s');
    expect(text).toContain('ok   GET /: status 200: 3 passed, 0 failed');
    expect(text).toContain('FAIL GET /: body: 2 passed, 1 failed');
    expect(text).toContain('count=4 0.32/s');
    expect(text).toContain('failed thresholds: http_req_failed rate<=0');
  });

  it('writes JSON and text to SUMMARY_DIR and the text to stdout', async () => {
    const s = await load<SummaryModule>('summary.ts', { SUMMARY_DIR: 'out/k6' });
    const files = s.summaryHandler('load')(data);
    expect(Object.keys(files).sort()).toEqual([
      'out/k6/load-summary.json',
      'out/k6/load-summary.txt',
      'stdout',
    ]);
    expect(JSON.parse(files['out/k6/load-summary.json'] ?? '')).toEqual(data);
    expect(files.stdout).toBe(files['out/k6/load-summary.txt']);
  });
});

describe('k6/lib/endpoints.ts', () => {
  it('builds paths with encoded queries', () => {
    expect(pathWithQuery(ENDPOINTS.hello)).toBe('/api/hello?name=k6');
    expect(pathWithQuery(ENDPOINTS.hello, { name: 'a b&c' })).toBe('/api/hello?name=a%20b%26c');
    expect(pathWithQuery(ENDPOINTS.root)).toBe('/');
  });

  it('names routes by template, never by query values', () => {
    for (const e of Object.values(ENDPOINTS)) {
      expect(e.name).toBe(`${e.method} ${e.path}`);
      expect(e.name).not.toContain('?');
    }
  });

  it('checks bodies: required keys, JSON errors, text', () => {
    expect(
      bodyProblems(ENDPOINTS.root, 200, '{"service":"s","version":"1","slot":0,"pid":1}'),
    ).toEqual([]);
    expect(bodyProblems(ENDPOINTS.root, 200, '{"service":"s"}')).toEqual([
      'JSON body lacks "version"',
      'JSON body lacks "slot"',
      'JSON body lacks "pid"',
    ]);
    expect(bodyProblems(ENDPOINTS.hello, 200, 'hello')[0]).toMatch(/not JSON/);
    expect(bodyProblems(ENDPOINTS.notFound, 404, '{"error":{"code":"x","message":"y"}}')).toEqual(
      [],
    );
    expect(bodyProblems(ENDPOINTS.badInput, 400, '{"error":"bad"}')).toEqual([
      'error body is not {"error":{"code":string,"message":string}}',
    ]);
    expect(bodyProblems(ENDPOINTS.healthz, 200, 'ok')).toEqual([]);
    expect(bodyProblems(ENDPOINTS.managerMetrics, 200, '# TYPE x counter\nx 1\n')).toEqual([]);
    expect(bodyProblems(ENDPOINTS.managerMetrics, 200, '')).toHaveLength(2);
  });

  it('interleaves weighted mixes', () => {
    const m = mix([
      [ENDPOINTS.hello, 2],
      [{ endpoint: ENDPOINTS.work, query: { ms: '1' } }, 1],
    ]);
    expect(m.map((i) => i.endpoint.path)).toEqual(['/api/hello', '/api/work', '/api/hello']);
    expect(m[1]?.query).toEqual({ ms: '1' });
  });
});

describe('k6/lib/status.ts', () => {
  const status = (pids: number[], state = 'ready', reloading?: boolean) =>
    parseStatus(
      JSON.stringify({
        manager: { pid: 1, ...(reloading === undefined ? {} : { reloading }) },
        workers: pids.map((pid, slot) => ({ slot, pid, state, restarts: 0 })),
      }),
    );

  it('parses the documented shape and rejects others', () => {
    expect(status([10, 11])?.workers.map((w) => w.pid)).toEqual([10, 11]);
    expect(parseStatus('not json')).toBeUndefined();
    expect(parseStatus('{"workers":[{"slot":0}]}')).toBeUndefined();
    expect(parseStatus(null)).toBeUndefined();
  });

  it('a reload is complete when every old worker is gone and the new ones are ready', () => {
    const before = status([10, 11])!;
    expect(reloadComplete(before, status([10, 11])!)).toBe(false);
    expect(reloadComplete(before, status([20, 11])!)).toBe(false);
    expect(reloadComplete(before, status([20, 21], 'starting')!)).toBe(false);
    expect(reloadComplete(before, status([20])!)).toBe(false);
    expect(reloadComplete(before, status([20, 21], 'ready', true)!)).toBe(false);
    expect(reloadComplete(before, status([20, 21])!)).toBe(true);
  });
});
