// Every route's success path over real HTTP: status, exact JSON shape, content type, HEAD.
import { pbkdf2Sync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HASH_DIGEST, HASH_KEY_BYTES, HASH_SALT } from '../../../src/app/workloads.js';
import { SERVICE_NAME, SLOT, startApp, VERSION, type Harness } from './harness.js';

let app: Harness;
beforeAll(async () => {
  app = await startApp();
});
afterAll(() => app.close());

async function getJson(
  path: string,
  init?: RequestInit,
): Promise<{ status: number; body: unknown; response: Response }> {
  const response = await fetch(app.url + path, init);
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
    response,
  };
}

describe('GET /', () => {
  it('names the service, version and the serving worker', async () => {
    const { status, body, response } = await getJson('/');
    expect(status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(body).toEqual({
      service: SERVICE_NAME,
      version: VERSION,
      slot: SLOT,
      pid: process.pid,
    });
  });
});

describe('health', () => {
  it('GET /healthz is 200 ok', async () => {
    expect(await getJson('/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('GET /readyz is 200 ready, then 503 draining once the lifecycle says so', async () => {
    expect(await getJson('/readyz')).toMatchObject({ status: 200, body: { status: 'ready' } });
    app.lifecycle.draining = true;
    try {
      const { status, body } = await getJson('/readyz');
      expect(status).toBe(503);
      expect(body).toEqual({
        error: { code: 'draining', message: 'this worker is shutting down' },
      });
      // Liveness is unaffected by draining.
      expect((await getJson('/healthz')).status).toBe(200);
    } finally {
      app.lifecycle.draining = false;
    }
    expect((await getJson('/readyz')).status).toBe(200);
  });
});

describe('GET /api/hello', () => {
  it('greets the world by default', async () => {
    expect(await getJson('/api/hello')).toMatchObject({
      status: 200,
      body: { message: 'hello, world' },
    });
  });

  it('greets a trimmed name, unicode included', async () => {
    const { body } = await getJson(`/api/hello?name=${encodeURIComponent('  Zoë 🦊  ')}`);
    expect(body).toEqual({ message: 'hello, Zoë 🦊' });
  });

  it('accepts exactly 100 characters, counting an emoji once', async () => {
    const name = '🦊'.repeat(100);
    const { status, body } = await getJson(`/api/hello?name=${encodeURIComponent(name)}`);
    expect(status).toBe(200);
    expect(body).toEqual({ message: `hello, ${name}` });
  });

  it('ignores unknown query parameters', async () => {
    expect((await getJson('/api/hello?name=a&cachebust=1&cachebust=2')).body).toEqual({
      message: 'hello, a',
    });
  });
});

describe('GET /api/work', () => {
  it('busy-loops for the requested time and reports the iterations', async () => {
    const started = performance.now();
    const { status, body } = await getJson('/api/work?ms=20');
    expect(performance.now() - started).toBeGreaterThanOrEqual(20);
    expect(status).toBe(200);
    expect(body).toEqual({ ms: 20, iterations: expect.any(Number) as number });
    expect((body as { iterations: number }).iterations).toBeGreaterThan(0);
  });

  it('blocks the event loop while it runs (the point of the endpoint)', async () => {
    // Same process as the server: while it spins, this interval cannot tick.
    let last = performance.now();
    let longestGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 2);
    try {
      await getJson('/api/work?ms=60');
    } finally {
      clearInterval(ticker);
    }
    expect(longestGap).toBeGreaterThanOrEqual(55);
  });
});

describe('GET /api/delay', () => {
  it('waits asynchronously and answers with the delay', async () => {
    const started = performance.now();
    const { status, body } = await getJson('/api/delay?ms=30');
    expect(performance.now() - started).toBeGreaterThanOrEqual(29);
    expect(status).toBe(200);
    expect(body).toEqual({ ms: 30 });
  });

  it('accepts 0', async () => {
    expect(await getJson('/api/delay?ms=0')).toMatchObject({ status: 200, body: { ms: 0 } });
  });

  it('does not block other requests while waiting', async () => {
    const slow = getJson('/api/delay?ms=300');
    const fast = await getJson('/healthz');
    expect(fast.status).toBe(200);
    // The fast request finished while the slow one was still pending.
    let slowDone = false;
    void slow.then(() => (slowDone = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(slowDone).toBe(false);
    expect((await slow).status).toBe(200);
  });
});

describe('POST /api/hash', () => {
  const post = (body: unknown, contentType = 'application/json') =>
    getJson('/api/hash', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: JSON.stringify(body),
    });
  const expected = (input: string, iterations: number) =>
    pbkdf2Sync(input, HASH_SALT, iterations, HASH_KEY_BYTES, HASH_DIGEST).toString('hex');

  it('hashes with pbkdf2-sha256 and the default 10,000 iterations', async () => {
    const { status, body } = await post({ input: 'secret' });
    expect(status).toBe(200);
    expect(body).toEqual({ hash: expected('secret', 10_000), iterations: 10_000 });
  });

  it('honours iterations, and accepts charset=utf-8', async () => {
    const { status, body } = await post(
      { input: 'ü', iterations: 3 },
      'application/json; charset=UTF-8',
    );
    expect(status).toBe(200);
    expect(body).toEqual({ hash: expected('ü', 3), iterations: 3 });
  });

  it('accepts an input of exactly 10,000 characters', async () => {
    const input = 'x'.repeat(10_000);
    const { status, body } = await post({ input, iterations: 1 });
    expect(status).toBe(200);
    expect(body).toEqual({ hash: expected(input, 1), iterations: 1 });
  });
});

describe('HEAD', () => {
  it.each(['/', '/healthz', '/readyz', '/api/hello?name=x', '/api/delay?ms=0', '/api/work?ms=1'])(
    'HEAD %s answers like GET, without a body',
    async (path) => {
      const head = await fetch(app.url + path, { method: 'HEAD' });
      const get = await fetch(app.url + path);
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
      expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
      await get.text();
    },
  );
});

describe('no /metrics on the API port', () => {
  it('GET /metrics is a 404', async () => {
    const { status, body } = await getJson('/metrics');
    expect(status).toBe(404);
    expect(body).toEqual({ error: { code: 'not_found', message: 'no such route' } });
  });
});
