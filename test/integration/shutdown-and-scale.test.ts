// Graceful shutdown with a request in flight, and scaling by signal and by the admin endpoint.
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startCluster } from '../helpers/cluster.js';
import { waitUntil } from '../../scripts/lib/wait.js';

describe('graceful shutdown', () => {
  it('finishes an in-flight request on SIGTERM, then exits 0', async () => {
    const cluster = await startCluster({ env: { WORKERS: '2' } });
    const inFlight = fetch(`${cluster.apiUrl}/api/delay?ms=2000`);
    await waitUntil(
      async () => (await cluster.status()).workers.some((w) => w.requestsInFlight > 0),
      'the slow request to reach a worker',
      10_000,
      20,
    );
    cluster.proc.kill('SIGTERM');
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ms: 2000 });
    expect(await cluster.exited).toBe(0);
    expect(cluster.logs()).toMatch(/graceful shutdown requested/);
  });
});

describe('scaling', () => {
  const post = (url: string, body: unknown, token?: string) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
    });

  it('changes the ready count on SIGTTIN, SIGTTOU and POST /scale', async () => {
    const cluster = await startCluster({ env: { WORKERS: '1' } });
    try {
      cluster.proc.kill('SIGTTIN');
      const two = await cluster.waitForReady(2);
      expect(two.map((w) => w.slot)).toEqual([0, 1]);
      cluster.proc.kill('SIGTTOU');
      const one = await cluster.waitForReady(1);
      expect(one.map((w) => w.slot)).toEqual([0]);

      const scaled = await post(`${cluster.managerUrl}/scale`, { workers: 3 }, ADMIN_TOKEN);
      expect(scaled.status).toBe(202);
      expect(await scaled.json()).toMatchObject({ workers: 3 });
      expect((await cluster.waitForReady(3)).map((w) => w.slot)).toEqual([0, 1, 2]);
      expect((await cluster.status()).manager.desiredWorkers).toBe(3);

      const down = await post(`${cluster.managerUrl}/scale`, { workers: 1 }, ADMIN_TOKEN);
      expect(down.status).toBe(202);
      await cluster.waitForReady(1);

      // At one worker SIGTTOU changes nothing, and the log says so instead of "one fewer".
      cluster.proc.kill('SIGTTOU');
      await waitUntil(
        () => cluster.logs().includes('SIGTTOU: already at one worker; unchanged'),
        'the "unchanged" line',
      );
      expect(cluster.logs().split('SIGTTOU: one worker fewer')).toHaveLength(2); // the first only
      expect((await cluster.status()).manager.desiredWorkers).toBe(1);
    } finally {
      expect(await cluster.stop()).toBe(0);
    }
  });

  it('enforces the admin token rules', async () => {
    const cluster = await startCluster({ env: { WORKERS: '1' } });
    try {
      const url = `${cluster.managerUrl}/scale`;
      const missing = await post(url, { workers: 2 });
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await post(url, { workers: 2 }, 'wrong-token-0000000000')).status).toBe(401);
      const reloadNoToken = await fetch(`${cluster.managerUrl}/reload`, { method: 'POST' });
      expect(reloadNoToken.status).toBe(401);
      for (const bad of [{ workers: 0 }, { workers: 65 }, { workers: 1.5 }, { workers: '2' }, {}]) {
        const response = await post(url, bad, ADMIN_TOKEN);
        expect(response.status).toBe(400);
        // The rejected field is named, as in the API's validation errors.
        expect(await response.json()).toMatchObject({
          error: { code: 'invalid_input', field: 'workers' },
        });
      }
      const notJson = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/plain' },
        body: 'workers=2',
      });
      expect(notJson.status).toBe(415);
      // JSON is UTF-8: a body declared in another charset is refused, not misread.
      const send = (contentType: string) =>
        fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': contentType },
          body: JSON.stringify({ workers: 1 }),
        });
      expect((await send('application/json; charset=utf-16')).status).toBe(415);
      expect((await send('application/json; charset="UTF-8"')).status).toBe(202);
      expect((await cluster.status()).manager.desiredWorkers).toBe(1);
    } finally {
      await cluster.stop();
    }
  });

  it('turns admin endpoints off without ADMIN_TOKEN', async () => {
    const cluster = await startCluster({ env: { WORKERS: '1', ADMIN_TOKEN: '' } });
    try {
      const response = await post(
        `${cluster.managerUrl}/scale`,
        { workers: 2 },
        'anything-at-all-000',
      );
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ error: { code: 'admin_disabled' } });
    } finally {
      await cluster.stop();
    }
  });
});
