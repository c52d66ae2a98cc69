// A saturated worker answers 503 with Retry-After at once instead of queueing without bound, counts
// what it shed by reason, and keeps its health endpoints answering. Each case sends a bounded burst
// on loopback; the defaults are the ones under test unless stated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from '../../scripts/load/index.js';
import { startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { scrape, select, sumOf } from '../helpers/metrics-text.js';
import { rawExchange, type RawExchange } from '../helpers/raw-http.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const SHED_REASONS = ['event_loop_delay', 'in_flight', 'pool_queue'];

function hashRequest(iterations: number): string {
  const body = JSON.stringify({ input: 'shed me', iterations });
  return (
    'POST /api/hash HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

async function shedCount(cluster: ClusterHandle, reason: string): Promise<number> {
  const samples = await scrape(cluster.managerUrl);
  return select(samples, 'http_requests_shed_total', { reason })[0]?.[1] ?? Number.NaN;
}

/** A shed answer keeps the API's contract: JSON error, Retry-After, request id, and a close. */
function expectShedAnswer(r: RawExchange): void {
  expect(r.status).toBe(503);
  expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(r.headers['x-request-id']).toBeTruthy();
  expect(r.headers['x-content-type-options']).toBe('nosniff');
  expect(r.headers.connection).toBe('close');
  expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'overloaded' } });
}

describe('load shedding, defaults (2 workers)', () => {
  let cluster: ClusterHandle;
  beforeAll(async () => {
    cluster = await startCluster({ env: { WORKERS: '2' } });
  });
  afterAll(async () => {
    const status = await cluster.status();
    // Shedding kept the cluster healthy: nobody was killed or replaced.
    expect(status.workers.map((w) => [w.state, w.restarts])).toEqual([
      ['ready', 0],
      ['ready', 0],
    ]);
    expect(await cluster.stop()).toBe(0);
  });

  it('exposes the shed counter at 0 for every reason from the start', async () => {
    const samples = await scrape(cluster.managerUrl);
    for (const reason of SHED_REASONS) {
      expect(select(samples, 'http_requests_shed_total', { reason }), reason).toEqual([
        [`http_requests_shed_total{reason="${reason}"}`, 0],
      ]);
    }
  });

  it("the k6 `load` scenario's shape at its full 200 rps: the defaults shed nothing", async () => {
    const shedBefore = await Promise.all(SHED_REASONS.map((r) => shedCount(cluster, r)));
    const result = await runLoad({ scenario: 'load', url: cluster.apiUrl, durationSec: 10 });
    console.log(
      `[reliability] load scenario, 10 s at up to ${result.rate} rps: ${result.requests} sent, ` +
        `statuses ${JSON.stringify(result.statusCodes)}`,
    );
    expect(result.requests).toBeGreaterThan(500);
    // On failure, the worker's own account of why it shed.
    const why = cluster
      .logs()
      .split('\n')
      .filter((line) => line.includes('shedding'))
      .join('\n');
    expect(result.statusCodes['503'] ?? 0, why).toBe(0);
    expect(await Promise.all(SHED_REASONS.map((r) => shedCount(cluster, r)))).toEqual(shedBefore);
  });

  it('40 hashes at 1,000,000 iterations: a later cheap hash is answered at once', async () => {
    const shedBefore = await shedCount(cluster, 'pool_queue');
    const answered: RawExchange[] = [];
    const heavy = Array.from({ length: 40 }, () =>
      rawExchange(cluster.apiPort, [hashRequest(1_000_000)], { waitMs: 90_000 }).then((r) => {
        answered.push(r);
        return r;
      }),
    );
    // "Later": once every heavy request has reached a worker (answered, or in flight there).
    await waitUntil(async () => {
      const inFlight = sumOf(await scrape(cluster.managerUrl), 'http_requests_in_flight');
      return answered.length + inFlight >= 40;
    }, 'all 40 heavy hashes received by the workers');

    const [cheap, health] = await Promise.all([
      rawExchange(cluster.apiPort, [hashRequest(1)], { waitMs: 30_000 }),
      rawExchange(cluster.apiPort, ['GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n']),
    ]);
    console.log(
      `[reliability] cheap hash behind 40 heavy ones: ${cheap.status} after ${cheap.elapsedMs} ms`,
    );
    expect([200, 503]).toContain(cheap.status);
    expect(cheap.elapsedMs).toBeLessThan(1_500);
    if (cheap.status === 503) expectShedAnswer(cheap);
    expect(health.status).toBe(200);
    expect(health.elapsedMs).toBeLessThan(1_500);

    const results = await Promise.all(heavy);
    const shed = results.filter((r) => r.status === 503);
    for (const r of shed) expectShedAnswer(r);
    expect(results.filter((r) => r.status !== 503).map((r) => r.status)).toEqual(
      Array.from({ length: 40 - shed.length }, () => 200),
    );
    expect(shed.length).toBeGreaterThan(0);
    const shedTotal = shed.length + (cheap.status === 503 ? 1 : 0);
    console.log(
      `[reliability] 40 heavy hashes: ${40 - shed.length} served, ${shed.length} shed; ` +
        `slowest served in ${Math.max(...results.map((r) => r.elapsedMs))} ms`,
    );
    // Counted by reason, exactly what clients were sent.
    expect(await shedCount(cluster, 'pool_queue')).toBe(shedBefore + shedTotal);
  });

  it('queued /api/work: clients get a prompt 503, not a 408 or a reset', async () => {
    const shedBefore = await shedCount(cluster, 'event_loop_delay');
    const workMs = 3_000;
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        rawExchange(cluster.apiPort, [`GET /api/work?ms=${workMs} HTTP/1.1\r\nHost: x\r\n\r\n`], {
          waitMs: 40_000,
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    const slowest = Math.max(...results.map((r) => r.elapsedMs));
    console.log(`[reliability] 10 queued /api/work: ${statuses.join(',')}; slowest ${slowest} ms`);
    // Every client got an answer, each worker served what it could and shed the backlog at once,
    // instead of serving one request per 3 s until the rest time out.
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
    expect(slowest).toBeLessThan(2 * workMs);
    const shed = results.filter((r) => r.status === 503);
    for (const r of shed) expectShedAnswer(r);
    expect(await shedCount(cluster, 'event_loop_delay')).toBe(shedBefore + shed.length);
  });
});

describe('load shedding, SHED_MAX_IN_FLIGHT=4 (1 worker)', () => {
  let cluster: ClusterHandle;
  beforeAll(async () => {
    cluster = await startCluster({ env: { WORKERS: '1', SHED_MAX_IN_FLIGHT: '4' } });
  });
  afterAll(async () => {
    expect(await cluster.stop()).toBe(0);
  });

  it('sheds API requests over the limit; health, readiness and / still answer', async () => {
    const slow = Array.from({ length: 4 }, () =>
      rawExchange(cluster.apiPort, ['GET /api/delay?ms=3000 HTTP/1.1\r\nHost: x\r\n\r\n']),
    );
    await waitUntil(
      async () => sumOf(await scrape(cluster.managerUrl), 'http_requests_in_flight') >= 4,
      '4 requests in flight',
    );
    const [extra, healthz, readyz, root] = await Promise.all(
      ['/api/hello', '/healthz', '/readyz', '/'].map((path) =>
        rawExchange(cluster.apiPort, [`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`]),
      ),
    );
    expectShedAnswer(extra as RawExchange);
    expect([healthz?.status, readyz?.status, root?.status]).toEqual([200, 200, 200]);
    expect((await Promise.all(slow)).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(await shedCount(cluster, 'in_flight')).toBe(1);
    // Below the limit again: served.
    expect((await fetch(`${cluster.apiUrl}/api/hello`)).status).toBe(200);
  });
});
