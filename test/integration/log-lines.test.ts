// Every line the cluster logs is one JSON object with one value per key, so jq, Python and log
// shippers read the same record. A `level` field next to pino's own `level` made "log level
// changed" read as a debug record.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { waitUntil } from '../../scripts/lib/wait.js';
import { duplicateKeys } from '../helpers/strict-json.js';

function jsonLines(logs: string): string[] {
  return logs.split('\n').filter((line) => line.trim().length > 0);
}

describe('log lines', () => {
  let cluster: ClusterHandle;
  beforeAll(async () => {
    cluster = await startCluster({ env: { WORKERS: '2', LOG_LEVEL: 'info' } });
  });
  afterAll(async () => {
    expect(await cluster.stop()).toBe(0);
  });

  it('POST /log-level: every side says so in valid, single-key JSON, workers forked later too', async () => {
    const response = await fetch(`${cluster.managerUrl}/log-level`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ level: 'debug' }),
    });
    expect(response.status).toBe(200);
    // The manager and both workers announce the change.
    const changes = await waitUntil(() => {
      const found = jsonLines(cluster.logs()).filter((line) => line.includes('log level changed'));
      return found.length >= 3 ? found : undefined;
    }, 'three "log level changed" lines');
    // The new level is in force: a request now leaves a debug access line.
    expect((await fetch(`${cluster.apiUrl}/api/hello`)).status).toBe(200);
    await waitUntil(
      () => jsonLines(cluster.logs()).some((line) => /"level":"debug".*"msg":"request"/.test(line)),
      'a debug access-log line',
    );
    // The caller's trace id reaches the access line and the answer, with the span id the worker
    // made for the request (W3C trace context).
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const traced = await fetch(`${cluster.apiUrl}/api/hello`, {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    const spanId = /^00-4bf92f3577b34da6a3ce929d0e0e4736-([0-9a-f]{16})-01$/.exec(
      traced.headers.get('traceresponse') ?? '',
    )?.[1];
    expect(spanId, 'the traceresponse header').toBeDefined();
    await waitUntil(
      () =>
        jsonLines(cluster.logs()).some((line) => {
          const record = JSON.parse(line) as Record<string, unknown>;
          return (
            record.msg === 'request' && record.trace_id === traceId && record.span_id === spanId
          );
        }),
      'an access-log line with the trace and span ids',
    );

    // Workers forked after the change start at the new level too (they boot from LOG_LEVEL).
    const before = new Set((await cluster.readyWorkers()).map((worker) => worker.pid));
    const reload = await fetch(`${cluster.managerUrl}/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(reload.status).toBe(202);
    const reloaded = await waitUntil(
      async () => {
        const ready = await cluster.readyWorkers();
        return ready.length === 2 && ready.every((w) => !before.has(w.pid)) ? ready : undefined;
      },
      'two reloaded workers',
      30_000,
    );
    const isReloaded = (line: string) => reloaded.some((w) => line.includes(`"pid":${w.pid},`));
    await waitUntil(async () => {
      expect((await fetch(`${cluster.apiUrl}/api/hello`)).status).toBe(200);
      return jsonLines(cluster.logs()).some(
        (line) => isReloaded(line) && /"level":"debug".*"msg":"request"/.test(line),
      );
    }, 'a debug access-log line from a reloaded worker');

    // The admin token stays with the manager: workers run application code.
    const environ = await readFile(`/proc/${reloaded[0]!.pid}/environ`, 'utf8');
    expect(environ.split('\0').filter((entry) => entry.startsWith('ADMIN_TOKEN='))).toEqual([]);
    expect(environ).toContain('LOG_LEVEL=debug');
    await cluster.stop();

    const lines = jsonLines(cluster.logs());
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) {
      expect(() => JSON.parse(line), line).not.toThrow();
      expect(duplicateKeys(line), line).toEqual([]);
    }
    for (const line of changes) {
      const record = JSON.parse(line) as Record<string, unknown>;
      // Logged at info (the change itself is not debug chatter); the new level is a field.
      expect(record).toMatchObject({ level: 'info', logLevel: 'debug' });
    }
    expect(new Set(changes.map((line) => (JSON.parse(line) as { role: string }).role))).toEqual(
      new Set(['manager', 'worker']),
    );
  });
});
