// OTLP export through the real cluster (issue 25, items 1 and 6): a worker exports one server span
// per sampled request to a loopback receiver that decodes real OTLP/HTTP protobuf, and that span,
// the response's traceresponse, the access log line and the manager's OpenMetrics exemplar all
// name the same trace and span ids. A graceful stop flushes spans still queued; without
// OTEL_EXPORTER_OTLP_ENDPOINT no worker even resolves the exporter's module.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, fixtureEntry, type ClusterHandle } from '../helpers/cluster.js';
import { attributes, hex, startReceiver, type Receiver } from '../helpers/otlp-receiver.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const OPENMETRICS = 'application/openmetrics-text; version=1.0.0';
/** How long a request holds the only worker's one slot (room for a heartbeat to report it). */
const HOLD_SECONDS = 4;
const traceId = () => randomBytes(16).toString('hex');
const spanId = () => randomBytes(8).toString('hex');

/** Every cluster process appends "<pid> <specifier>" to $RESOLVE_LOG for each module it resolves. */
async function resolveLogEnv(): Promise<{
  env: Record<string, string>;
  read(): Promise<string>;
  remove(): Promise<void>;
}> {
  const dir = await mkdtemp(path.join(tmpdir(), 'otlp-export-'));
  const file = path.join(dir, 'resolved.log');
  return {
    env: { NODE_OPTIONS: `--import ${fixtureEntry('worker-resolve-log.mjs')}`, RESOLVE_LOG: file },
    read: () => readFile(file, 'utf8').catch(() => ''),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

interface Answer {
  status: number;
  /** From traceresponse: the ids this request ran with. */
  traceId: string;
  spanId: string;
  flags: string;
}

async function get(
  cluster: ClusterHandle,
  route: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${cluster.apiUrl}${route}`, {
    headers,
    signal: AbortSignal.timeout(15_000),
  });
  await response.arrayBuffer();
  const ids = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/.exec(
    response.headers.get('traceresponse') ?? '',
  );
  expect(ids, `traceresponse of ${route}`).not.toBeNull();
  return { status: response.status, traceId: ids![1]!, spanId: ids![2]!, flags: ids![3]! };
}

/** The access-log records ("request", debug) carrying this trace id. */
function accessLines(cluster: ClusterHandle, id: string): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  for (const line of cluster.logs().split('\n')) {
    if (!line.includes(id)) continue;
    const record = JSON.parse(line) as Record<string, unknown>;
    if (record.msg === 'request' && record.trace_id === id) records.push(record);
  }
  return records;
}

/** The duration buckets of the manager's OpenMetrics /metrics whose exemplar has this trace id. */
function exemplarBuckets(text: string, id: string): Record<string, string | number>[] {
  const line =
    /^http_request_duration_seconds_bucket\{([^}]*)\} \S+ # \{trace_id="([0-9a-f]{32})"\} (\S+)/;
  const found: Record<string, string | number>[] = [];
  for (const match of text.split('\n').map((l) => line.exec(l))) {
    if (match?.[2] !== id) continue;
    const labels = Object.fromEntries(
      [...match[1]!.matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k!, v!]),
    );
    found.push({ ...labels, value: Number(match[3]) });
  }
  return found;
}

describe('OTLP export from the real cluster', () => {
  let receiver: Receiver;
  let cluster: ClusterHandle;
  let resolveLog: Awaited<ReturnType<typeof resolveLogEnv>>;
  beforeAll(async () => {
    receiver = await startReceiver();
    resolveLog = await resolveLogEnv();
    cluster = await startCluster({
      env: {
        // One worker, one request in flight at most: a request sent while another is held is
        // shed with a 503, the API's own 5xx.
        WORKERS: '1',
        SHED_MAX_IN_FLIGHT: '1',
        LOG_LEVEL: 'debug', // the access line is a debug line
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: 'test-svc',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        ...resolveLog.env,
      },
    });
  });
  afterAll(async () => {
    await cluster.stop();
    await receiver.close();
    await resolveLog.remove();
  });

  it('exports one server span per sampled request, with the ids of its traceresponse, access line and exemplar', async () => {
    const sampled = { traceId: traceId(), parent: spanId() };
    const unsampled = { traceId: traceId(), parent: spanId() };
    const notFound = { traceId: traceId(), parent: spanId() };
    const held = { traceId: traceId(), parent: spanId() };
    const shed = { traceId: traceId(), parent: spanId() };
    const traceparent = (t: { traceId: string; parent: string }, flags = '01') => ({
      traceparent: `00-${t.traceId}-${t.parent}-${flags}`,
    });

    // No traceparent first: it starts a sampled trace of its own, and its exemplar may then be
    // replaced by the next request's on the same bucket. The unsampled one comes after the
    // sampled one: had it been recorded, it would have replaced the sampled one's exemplar.
    const root = await get(cluster, '/api/hello?name=root');
    const tracestate = 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7';
    const answers = {
      sampled: await get(cluster, '/api/hello?name=otlp', { ...traceparent(sampled), tracestate }),
      unsampled: await get(cluster, '/api/hello?name=quiet', traceparent(unsampled, '00')),
      notFound: await get(cluster, '/api/nope', traceparent(notFound)),
    };
    const holding = get(cluster, `/api/delay?ms=${HOLD_SECONDS * 1000}`, traceparent(held));
    await waitUntil(
      async () => (await cluster.readyWorkers())[0]!.requestsInFlight >= 1,
      'the held request in flight (heartbeat)',
    );
    const shedAnswer = await get(cluster, '/api/hello?name=shed', traceparent(shed));
    const all = { root, ...answers, shed: shedAnswer, held: await holding };

    expect(Object.fromEntries(Object.entries(all).map(([k, a]) => [k, a.status]))).toEqual({
      root: 200,
      sampled: 200,
      unsampled: 200,
      notFound: 404,
      shed: 503,
      held: 200,
    });
    // The caller's trace id and sampled flag are kept, with a new span id per request.
    expect([all.sampled, all.unsampled, all.notFound, all.shed, all.held]).toMatchObject([
      { traceId: sampled.traceId, flags: '01' },
      { traceId: unsampled.traceId, flags: '00' },
      { traceId: notFound.traceId, flags: '01' },
      { traceId: shed.traceId, flags: '01' },
      { traceId: held.traceId, flags: '01' },
    ]);
    expect(all.root.flags).toBe('01');
    const spanIds = Object.values(all).map((a) => a.spanId);
    expect(new Set(spanIds).size).toBe(spanIds.length);
    expect(spanIds).not.toContain(sampled.parent);

    // Every request, sampled or not, has one access line with its traceresponse ids.
    for (const [name, answer] of Object.entries(all)) {
      const lines = await waitUntil(() => {
        const found = accessLines(cluster, answer.traceId);
        return found.length > 0 ? found : undefined;
      }, `the access line of ${name}`);
      expect(
        lines.map((l) => [l.trace_id, l.span_id, l.status]),
        name,
      ).toEqual([[answer.traceId, answer.spanId, answer.status]]);
    }

    // The sampled requests' spans arrive while the cluster runs (OTEL_BSP_SCHEDULE_DELAY).
    const sampledAnswers = Object.entries(all).filter(([name]) => name !== 'unsampled');
    await waitUntil(() => {
      const exported = new Set(receiver.spans().map(({ span }) => hex(span.traceId)));
      return sampledAnswers.every(([, a]) => exported.has(a.traceId));
    }, 'a span for every sampled request');

    // The manager's OpenMetrics exposition carries each sampled request's trace id as the
    // exemplar of one bucket of its own series, a bucket holding the observed duration; never
    // the unsampled one's.
    const expectedSeries: Record<string, Record<string, string>> = {
      sampled: { method: 'GET', route: '/api/hello', status_code: '200' },
      notFound: { method: 'GET', route: 'unmatched', status_code: '404' },
      shed: { method: 'GET', route: '/api/hello', status_code: '503' },
      held: { method: 'GET', route: '/api/delay', status_code: '200' },
    };
    const metrics = await waitUntil(async () => {
      const response = await fetch(`${cluster.managerUrl}/metrics`, {
        headers: { accept: OPENMETRICS },
      });
      const text = await response.text();
      return Object.keys(expectedSeries).every(
        (name) => exemplarBuckets(text, all[name as keyof typeof all].traceId).length > 0,
      )
        ? text
        : undefined;
    }, 'exemplars with the sampled trace ids on the manager');
    for (const [name, labels] of Object.entries(expectedSeries)) {
      const buckets = exemplarBuckets(metrics, all[name as keyof typeof all].traceId);
      expect(buckets, name).toEqual([expect.objectContaining(labels)]);
      const { le, value } = buckets[0]!;
      expect(
        Number(value),
        `${name}: the exemplar's value is within its bucket`,
      ).toBeLessThanOrEqual(le === '+Inf' ? Infinity : Number(le));
    }
    expect(Number(exemplarBuckets(metrics, held.traceId)[0]!.value)).toBeGreaterThanOrEqual(
      HOLD_SECONDS,
    );
    expect(metrics).not.toContain(unsampled.traceId);

    // A graceful stop: everything queued is exported by now, so the counts below are final.
    const [worker] = await cluster.readyWorkers();
    expect(await cluster.stop()).toBe(0);
    const spans = receiver.spans();
    expect(spans.map(({ span }) => hex(span.traceId)).sort()).toEqual(
      sampledAnswers.map(([, a]) => a.traceId).sort(),
    );
    expect(receiver.posts.every((post) => post.url === '/v1/traces')).toBe(true);

    const expectedSpans = {
      root: { route: '/api/hello', path: '/api/hello', status: 200, parent: '', flags: 0x101 },
      sampled: {
        route: '/api/hello',
        path: '/api/hello',
        status: 200,
        parent: sampled.parent,
        flags: 0x301, // sampled, the parent is remote
        traceState: tracestate,
      },
      notFound: {
        route: 'unmatched',
        path: '/api/nope',
        status: 404,
        parent: notFound.parent,
        flags: 0x301,
      },
      shed: {
        route: '/api/hello',
        path: '/api/hello',
        status: 503,
        parent: shed.parent,
        flags: 0x301,
      },
      held: {
        route: '/api/delay',
        path: '/api/delay',
        status: 200,
        parent: held.parent,
        flags: 0x301,
      },
    };
    for (const [name, want] of Object.entries(expectedSpans)) {
      const answer = all[name as keyof typeof all];
      const { resource, span } = spans.find((s) => hex(s.span.traceId) === answer.traceId)!;
      expect(
        {
          spanId: hex(span.spanId),
          parentSpanId: hex(span.parentSpanId),
          flags: span.flags,
          name: span.name,
          kind: span.kind,
          status: span.status?.code ?? 'STATUS_CODE_UNSET',
          attributes: attributes(span.attributes),
          service: resource['service.name'],
          ...('traceState' in want && { traceState: span.traceState }),
        },
        name,
      ).toEqual({
        spanId: answer.spanId,
        parentSpanId: want.parent,
        flags: want.flags,
        name: `GET ${want.route}`,
        kind: 'SPAN_KIND_SERVER',
        // OpenTelemetry's HTTP server convention: ERROR for a 5xx only.
        status: want.status >= 500 ? 'STATUS_CODE_ERROR' : 'STATUS_CODE_UNSET',
        attributes: {
          'http.request.method': 'GET',
          'http.route': want.route,
          'http.response.status_code': String(want.status),
          'url.path': want.path,
        },
        service: 'test-svc',
        ...('traceState' in want && { traceState: want.traceState }),
      });
    }
    // The held request's span lasted as long as it was held.
    const heldSpan = spans.find((s) => hex(s.span.traceId) === held.traceId)!.span;
    const heldNanos = BigInt(heldSpan.endTimeUnixNano) - BigInt(heldSpan.startTimeUnixNano);
    expect(Number(heldNanos) / 1e9).toBeGreaterThanOrEqual(HOLD_SECONDS);

    // The resolve log's own check: the worker did load the exporter here (see the last test).
    expect(await resolveLog.read()).toContain(`${worker!.pid} ./otlp-export.js\n`);
  });
});

describe('graceful shutdown', () => {
  it('exports the spans still queued before the workers exit', async () => {
    const receiver = await startReceiver();
    try {
      // A batch delay longer than the test: only the shutdown's flush can send this span.
      const cluster = await startCluster({
        env: {
          WORKERS: '1',
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_SERVICE_NAME: 'test-svc',
          OTEL_BSP_SCHEDULE_DELAY: '600000',
        },
      });
      const last = await get(cluster, '/api/hello?name=last');
      expect(receiver.posts).toEqual([]);
      expect(await cluster.stop()).toBe(0);
      expect(
        receiver.spans().map(({ resource, span }) => ({
          service: resource['service.name'],
          traceId: hex(span.traceId),
          spanId: hex(span.spanId),
          name: span.name,
        })),
      ).toEqual([
        { service: 'test-svc', traceId: last.traceId, spanId: last.spanId, name: 'GET /api/hello' },
      ]);
    } finally {
      await receiver.close();
    }
  });
});

describe('without OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('exports nothing, and no worker resolves the exporter module', async () => {
    const resolveLog = await resolveLogEnv();
    // OTLP's default endpoint, where an exporter without configuration would send: listened on
    // when the port is free here, so a wrongly loaded SDK would show up as spans.
    const atDefault = await startReceiver(4318).catch(() => undefined);
    try {
      const cluster = await startCluster({
        env: { OTEL_SERVICE_NAME: 'test-svc', OTEL_BSP_SCHEDULE_DELAY: '100', ...resolveLog.env },
      });
      const workers = await cluster.readyWorkers();
      for (let i = 0; i < 4; i += 1) {
        const answer = await get(cluster, '/api/hello', {
          traceparent: `00-${traceId()}-${spanId()}-01`,
        });
        expect(answer.status).toBe(200);
      }
      expect(await cluster.stop()).toBe(0);
      expect(atDefault?.posts ?? []).toEqual([]);

      const pids = new Set(workers.map((w) => String(w.pid)));
      const lines = (await resolveLog.read())
        .split('\n')
        .filter((line) => pids.has(line.split(' ')[0]!));
      // The hook ran in every worker (it resolved the worker's own modules)...
      expect(new Set(lines.map((line) => line.split(' ')[0]))).toEqual(pids);
      // ...and none of them resolved the exporter or any OpenTelemetry package (the bundle's
      // own copy of @opentelemetry/api, which prom-client requires, is not resolved).
      expect(lines.filter((line) => /otlp|opentelemetry/i.test(line))).toEqual([]);
    } finally {
      await atDefault?.close();
      await resolveLog.remove();
    }
  });
});
