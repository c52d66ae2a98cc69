// Security headers on every kind of response, and the request-id rules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseRequestId } from '../../../src/app/trace-context.js';
import { SECURITY_HEADERS } from '../../../src/app/security-headers.js';
import { rawRequest, startApp, startAppWithBrokenReadiness, type Harness } from './harness.js';

let app: Harness;
beforeAll(async () => {
  app = await startApp();
});
afterAll(() => app.close());

const EXPECTED_HEADERS = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('security headers', () => {
  it('the exported table is exactly the documented set', () => {
    expect(SECURITY_HEADERS).toEqual(EXPECTED_HEADERS);
  });

  it.each([
    ['GET', '/', 200],
    ['HEAD', '/healthz', 200],
    ['GET', '/api/hello?name=x', 200],
    ['OPTIONS', '/api/hash', 204],
    ['GET', '/api/work?ms=abc', 400],
    ['GET', '/nope', 404],
    ['DELETE', '/healthz', 405],
    ['POST', '/api/hash', 415],
  ])(
    '%s %s (%i) carries every security header and no X-Powered-By',
    async (method, path, status) => {
      const response = await fetch(app.url + path, { method });
      await response.text();
      expect(response.status).toBe(status);
      for (const [name, value] of Object.entries(EXPECTED_HEADERS)) {
        expect(response.headers.get(name), name).toBe(value);
      }
      expect(response.headers.get('x-powered-by')).toBeNull();
      expect(response.headers.get('server')).toBeNull();
    },
  );

  it('the names go on the wire lower-case, exactly as in the table', async () => {
    const response = await rawRequest(
      app.port,
      'GET /api/hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n',
    );
    expect(response.status).toBe(200);
    const lines = response.raw.slice(0, response.raw.indexOf('\r\n\r\n')).split('\r\n');
    for (const [name, value] of Object.entries(EXPECTED_HEADERS)) {
      expect(lines, name).toContain(`${name}: ${value}`);
    }
    expect(lines.some((line) => /^x-request-id: [0-9a-f-]{36}$/.test(line))).toBe(true);
  });

  it('a 413 rejected before the body is read carries them too', async () => {
    const response = await rawRequest(
      app.port,
      'POST /api/hash HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 999999\r\n\r\n',
    );
    expect(response.status).toBe(413);
    for (const [name, value] of Object.entries(EXPECTED_HEADERS))
      expect(response.headers[name]).toBe(value);
    expect(response.headers['x-powered-by']).toBeUndefined();
  });

  it('a 503 while draining and a 500 carry them too', async () => {
    app.lifecycle.draining = true;
    try {
      const response = await fetch(`${app.url}/readyz`);
      await response.text();
      expect(response.status).toBe(503);
      expect(response.headers.get('content-security-policy')).toBe(
        EXPECTED_HEADERS['content-security-policy'],
      );
    } finally {
      app.lifecycle.draining = false;
    }
    const failing = await startAppWithBrokenReadiness();
    try {
      const response = await fetch(`${failing.url}/readyz`);
      await response.text();
      expect(response.status).toBe(500);
      for (const [name, value] of Object.entries(EXPECTED_HEADERS)) {
        expect(response.headers.get(name), name).toBe(value);
      }
      expect(response.headers.get('x-request-id')).toMatch(UUID);
    } finally {
      await failing.close();
    }
  });
});

describe('request ids', () => {
  it('a sane incoming X-Request-Id is echoed', async () => {
    for (const id of [
      'abc',
      'A-Z_0.9:x',
      'x'.repeat(128),
      '550e8400-e29b-41d4-a716-446655440000',
    ]) {
      const response = await fetch(`${app.url}/healthz`, { headers: { 'x-request-id': id } });
      await response.text();
      expect(response.headers.get('x-request-id')).toBe(id);
    }
  });

  it.each([
    ['too long', 'x'.repeat(129)],
    ['a space', 'a b'],
    ['a slash', 'a/b'],
    ['quotes', '"abc"'],
    ['html', '<script>'],
    ['non-ascii', 'ïd'],
    ['empty', ''],
  ])('an id with %s is replaced by a generated UUID', async (_what, id) => {
    const response = await rawRequest(
      app.port,
      Buffer.from(
        `GET /healthz HTTP/1.1\r\nHost: t\r\nX-Request-Id: ${id}\r\nConnection: close\r\n\r\n`,
        'latin1',
      ),
    );
    expect(response.status).toBe(200);
    expect(response.headers['x-request-id']).toMatch(UUID);
  });

  it('a repeated header is not trusted either', async () => {
    const response = await rawRequest(
      app.port,
      'GET /healthz HTTP/1.1\r\nHost: t\r\nX-Request-Id: one\r\nX-Request-Id: two\r\nConnection: close\r\n\r\n',
    );
    expect(response.headers['x-request-id']).toMatch(UUID);
  });

  it('generated ids differ per request, and error responses carry one', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const response = await fetch(`${app.url}/nope-${i}`);
      await response.text();
      expect(response.status).toBe(404);
      ids.add(String(response.headers.get('x-request-id')));
    }
    expect(ids.size).toBe(20);
    for (const id of ids) expect(id).toMatch(UUID);
  });

  it('chooseRequestId keeps only ids matching the sane pattern', () => {
    expect(chooseRequestId('ok-1')).toBe('ok-1');
    expect(chooseRequestId(undefined)).toMatch(UUID);
    expect(chooseRequestId('bad\nid')).toMatch(UUID);
    expect(chooseRequestId('ok\n')).toMatch(UUID);
  });
});
