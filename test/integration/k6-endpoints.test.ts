// Every (method, path) the k6 scripts call exists in the real service. The scripts can only call
// endpoints listed in k6/lib/endpoints.ts (enforced by test/artifacts/k6-scripts.test.ts), so this
// calls each listed endpoint once against a real cluster, with the scripts' own status and body
// rules. Then the Node load runner runs against the same cluster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALL_ENDPOINTS,
  ENDPOINTS,
  bodyProblems,
  pathWithQuery,
  requestBody,
  type Endpoint,
} from '../../k6/lib/endpoints.js';
import { parseStatus, reloadComplete } from '../../k6/lib/status.js';
import { runLoad } from '../../scripts/load/index.js';
import { ADMIN_TOKEN, startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { waitUntil } from '../../scripts/lib/wait.js';

let cluster: ClusterHandle;

beforeAll(async () => {
  cluster = await startCluster({ env: { WORKERS: '2' } });
});

afterAll(async () => {
  await cluster?.stop();
});

async function callOnce(e: Endpoint): Promise<{ status: number; body: string }> {
  const origin = e.target === 'api' ? cluster.apiUrl : cluster.managerUrl;
  const headers: Record<string, string> = {};
  if (e.response === 'json') headers.accept = 'application/json';
  const body = requestBody(e);
  if (body !== null) headers['content-type'] = 'application/json';
  if (e.auth === true) headers.authorization = `Bearer ${ADMIN_TOKEN}`;
  const response = await fetch(origin + pathWithQuery(e), {
    method: e.method,
    headers,
    ...(body === null ? {} : { body }),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, body: await response.text() };
}

async function status() {
  const response = await fetch(`${cluster.managerUrl}/status`);
  const snapshot = parseStatus(await response.text());
  if (snapshot === undefined) throw new Error('/status is not the documented shape');
  return snapshot;
}

describe('every endpoint the k6 scripts call exists', () => {
  // ALL_ENDPOINTS lists POST /reload last, so the side-effect-free calls see a settled cluster.
  it.each(ALL_ENDPOINTS.map((e) => [e.label, e] as const))('%s', async (_label, e) => {
    const before = e === ENDPOINTS.reload ? await status() : undefined;
    const { status: code, body } = await callOnce(e);
    if (e.expectedStatus !== 404) {
      expect(code, `${e.method} ${e.path} is not routed: ${body}`).not.toBe(404);
      expect(code, `${e.method} ${e.path} does not take ${e.method}: ${body}`).not.toBe(405);
    }
    expect(code, body).toBe(e.expectedStatus);
    expect(bodyProblems(e, code, body)).toEqual([]);
    if (before !== undefined) {
      // The reload was accepted: let it finish before the load runs below.
      await waitUntil(
        async () => reloadComplete(before, await status()),
        'the rolling reload started by POST /reload to replace every worker',
        60_000,
        200,
      );
    }
  });
});

describe('the Node load runner against the real cluster', () => {
  it('runLoad for ~3 s on 4 connections: requests > 0, no errors', async () => {
    const result = await runLoad({
      scenario: 'load',
      url: cluster.apiUrl,
      durationSec: 3,
      connections: 4,
      rate: 100,
      maxP99Ms: null, // a busy 2-core test machine says nothing about the latency SLO
    });
    expect(result.requests).toBeGreaterThan(0);
    expect(result.errors, result.errorSamples.join(', ')).toBe(0);
    expect(result.non2xx, JSON.stringify(result.statusCodes)).toBe(0);
    expect(result.ok).toBe(true);
  });

  it('the reload scenario: zero failed requests while POST /reload replaces every worker', async () => {
    const result = await runLoad({
      scenario: 'reload',
      url: cluster.apiUrl,
      managerUrl: cluster.managerUrl,
      adminToken: ADMIN_TOKEN,
      durationSec: 12,
      connections: 4,
      rate: 50,
      maxP99Ms: null,
    });
    expect(result.reload, result.reload?.message).toMatchObject({
      accepted: true,
      completed: true,
    });
    expect(result.errors, result.errorSamples.join(', ')).toBe(0);
    expect(result.non2xx, JSON.stringify(result.statusCodes)).toBe(0);
    expect(result.ok).toBe(true);
  });
});
