// Every error class the API answers, over real HTTP (and raw sockets where a client library would
// refuse to send the request): status, exact JSON shape, relevant headers, and no internals leaked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT_BYTES } from '../../../src/app/json-body.js';
import {
  assertNoLeak,
  memoryLogger,
  rawRequest,
  startApp,
  type Harness,
  type RawResponse,
} from './harness.js';

let app: Harness;
beforeAll(async () => {
  app = await startApp({ clientErrors: true });
});
afterAll(() => app.close());

interface ErrorResponse {
  status: number;
  body: unknown;
  headers: Headers;
}

async function call(path: string, init?: RequestInit): Promise<ErrorResponse> {
  const response = await fetch(app.url + path, init);
  const text = await response.text();
  assertNoLeak(text);
  return { status: response.status, body: JSON.parse(text) as unknown, headers: response.headers };
}

const invalid = (field: string, message: string) => ({
  error: { code: 'invalid_input', message, field },
});

function rawJson(response: RawResponse): unknown {
  assertNoLeak(response.body);
  return JSON.parse(response.body) as unknown;
}

describe('400 invalid query parameters', () => {
  const work = 'ms must be an integer from 1 to 5000';
  const delay = 'ms must be an integer from 0 to 30000';
  it.each([
    ['/api/work', invalid('ms', 'ms is required')],
    ['/api/work?ms=', invalid('ms', work)],
    ['/api/work?ms=abc', invalid('ms', work)],
    ['/api/work?ms=0', invalid('ms', work)],
    ['/api/work?ms=5001', invalid('ms', work)],
    ['/api/work?ms=-1', invalid('ms', work)],
    ['/api/work?ms=1.5', invalid('ms', work)],
    ['/api/work?ms=1e3', invalid('ms', work)],
    ['/api/work?ms=%205', invalid('ms', work)],
    ['/api/work?ms=0x10', invalid('ms', work)],
    ['/api/work?ms=99999999999999999999999', invalid('ms', work)],
    ['/api/work?ms=1&ms=2', invalid('ms', 'ms must be given once')],
    ['/api/work?ms[]=1', invalid('ms', 'ms is required')],
    ['/api/delay', invalid('ms', 'ms is required')],
    ['/api/delay?ms=30001', invalid('ms', delay)],
    ['/api/delay?ms=-0', invalid('ms', delay)],
    ['/api/delay?ms=NaN', invalid('ms', delay)],
    ['/api/delay?ms=Infinity', invalid('ms', delay)],
    ['/api/delay?ms=5&ms=5', invalid('ms', 'ms must be given once')],
    ['/api/hello?name=', invalid('name', 'name must not be empty')],
    ['/api/hello?name=%20%20%09', invalid('name', 'name must not be empty')],
    [`/api/hello?name=${'a'.repeat(101)}`, invalid('name', 'name must be at most 100 characters')],
    [
      `/api/hello?name=${'a'.repeat(10_000)}`,
      invalid('name', 'name must be at most 100 characters'),
    ],
    ['/api/hello?name=a%00b', invalid('name', 'name must not contain control characters')],
    ['/api/hello?name=a%1Bb', invalid('name', 'name must not contain control characters')],
    ['/api/hello?name=a&name=b', invalid('name', 'name must be given once')],
  ])('GET %s', async (path, expected) => {
    const { status, body, headers } = await call(path);
    expect(status).toBe(400);
    expect(body).toEqual(expected);
    expect(headers.get('content-type')).toBe('application/json; charset=utf-8');
  });
});

describe('POST /api/hash: bad bodies', () => {
  const post = (
    body: string,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ) => call('/api/hash', { method: 'POST', headers, body });

  it.each([
    ['{}', invalid('input', 'input is required')],
    ['{"input":""}', invalid('input', 'input must not be empty')],
    ['{"input":5}', invalid('input', 'input must be a string')],
    ['{"input":null}', invalid('input', 'input must be a string')],
    [
      JSON.stringify({ input: 'x'.repeat(10_001) }),
      invalid('input', 'input must be at most 10000 characters'),
    ],
    [
      '{"input":"a","iterations":0}',
      invalid('iterations', 'iterations must be an integer from 1 to 1000000'),
    ],
    [
      '{"input":"a","iterations":1000001}',
      invalid('iterations', 'iterations must be an integer from 1 to 1000000'),
    ],
    ['{"input":"a","iterations":1.5}', invalid('iterations', 'iterations must be an integer')],
    ['{"input":"a","iterations":"10"}', invalid('iterations', 'iterations must be an integer')],
    ['{"input":"a","iterations":1e400}', invalid('iterations', 'iterations must be an integer')],
    ['{"input":"a","extra":1}', invalid('extra', 'extra is not an accepted field')],
    [
      '{"input":"a","__proto__":{"polluted":true}}',
      invalid('__proto__', '__proto__ is not an accepted field'),
    ],
    ['[]', invalid('body', 'body must be a JSON object')],
    ['null', invalid('body', 'body must be a JSON object')],
    ['"input"', invalid('body', 'body must be a JSON object')],
    ['42', invalid('body', 'body must be a JSON object')],
  ])('%s -> 400 naming the field', async (payload, expected) => {
    const { status, body } = await post(payload);
    expect(status).toBe(400);
    expect(body).toEqual(expected);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['{"input": "ab', 'truncated document'],
    ['not json', 'not JSON at all'],
    ["{'input': 'a'}", 'single quotes'],
    ['{"input":"a",}', 'trailing comma'],
  ])('%s (%s) -> 400 invalid_json', async (payload) => {
    const { status, body } = await post(payload);
    expect(status).toBe(400);
    expect(body).toEqual({
      error: { code: 'invalid_json', message: 'request body is not valid JSON' },
    });
  });

  it('an empty body -> 400 invalid_json', async () => {
    const { status, body } = await post('');
    expect(status).toBe(400);
    expect(body).toEqual({ error: { code: 'invalid_json', message: 'request body is empty' } });
  });

  it('deeply nested JSON just under the limit -> 400, not a crash', async () => {
    const depth = 50_000;
    const { status, body } = await post('['.repeat(depth) + ']'.repeat(depth));
    expect(status).toBe(400);
    expect((body as { error: { code: string } }).error.code).toMatch(
      /^(invalid_json|invalid_input)$/,
    );
  });

  it.each([
    [{ 'content-type': 'text/plain' }, 'content-type must be application/json'],
    [
      { 'content-type': 'application/x-www-form-urlencoded' },
      'content-type must be application/json',
    ],
    [{ 'content-type': 'application/jsonx' }, 'content-type must be application/json'],
    [{ 'content-type': 'application/json; charset=latin1' }, 'charset must be utf-8'],
    [
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      'content-encoding is not supported',
    ],
  ])('%j -> 415', async (headers, message) => {
    const { status, body, headers: responseHeaders } = await post('{"input":"a"}', headers);
    expect(status).toBe(415);
    expect(body).toEqual({ error: { code: 'unsupported_media_type', message } });
    // The body was never read, so the connection is not reused.
    expect(responseHeaders.get('connection')).toBe('close');
  });

  it('no content-type at all -> 415', async () => {
    const response = await rawRequest(
      app.port,
      'POST /api/hash HTTP/1.1\r\nHost: t\r\nContent-Length: 13\r\nConnection: close\r\n\r\n{"input":"a"}',
    );
    expect(response.status).toBe(415);
    expect(rawJson(response)).toEqual({
      error: { code: 'unsupported_media_type', message: 'content-type must be application/json' },
    });
  });
});

describe('413 body over the limit', () => {
  const tooLarge = {
    error: {
      code: 'payload_too_large',
      message: `request body must be at most ${BODY_LIMIT_BYTES} bytes`,
    },
  };

  it('a declared Content-Length over the limit is rejected before any body byte is sent', async () => {
    // Only the headers go out: the answer must come without the server waiting for the body.
    const response = await rawRequest(
      app.port,
      'POST /api/hash HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${BODY_LIMIT_BYTES + 1}\r\n\r\n`,
    );
    expect(response.status).toBe(413);
    expect(response.headers.connection).toBe('close');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(rawJson(response)).toEqual(tooLarge);
  });

  it('a huge declared Content-Length (1 TB) too', async () => {
    const response = await rawRequest(
      app.port,
      'POST /api/hash HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 1099511627776\r\n\r\n',
    );
    expect(response.status).toBe(413);
    expect(rawJson(response)).toEqual(tooLarge);
  });

  it('a chunked body that grows over the limit is cut off at the limit', async () => {
    const chunk = 'a'.repeat(16 * 1024);
    let request =
      'POST /api/hash HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
    // 8 x 16 kB = 128 kB > 100 kB, and no terminating chunk: the server must not wait for the end.
    for (let i = 0; i < 8; i++) request += `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
    const response = await rawRequest(app.port, request);
    expect(response.status).toBe(413);
    expect(response.headers.connection).toBe('close');
    expect(rawJson(response)).toEqual(tooLarge);
  });

  it('a body of exactly the limit is read (and then judged on its content)', async () => {
    const input = 'x'.repeat(BODY_LIMIT_BYTES - '{"input":""}'.length);
    const { status, body } = await call('/api/hash', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input }),
    });
    expect(status).toBe(400);
    expect(body).toEqual(invalid('input', 'input must be at most 10000 characters'));
  });
});

describe('truncated and malformed requests', () => {
  it('a body shorter than its Content-Length, then EOF -> 400 JSON', async () => {
    // 5 of 20 promised bytes, then the client half-closes: Node's parser reports the request as
    // malformed; the half-read request never turns into a 5xx.
    const response = await rawRequest(
      app.port,
      'POST /api/hash HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{"inp',
      { halfClose: true },
    );
    expect(response.status).toBe(400);
    expect(rawJson(response)).toEqual({
      error: { code: 'bad_request', message: 'malformed HTTP request' },
    });
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  it('a garbage request line -> 400 JSON with the security headers', async () => {
    const response = await rawRequest(app.port, 'HELLO THERE\r\n\r\n');
    expect(response.status).toBe(400);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(rawJson(response)).toEqual({
      error: { code: 'bad_request', message: 'malformed HTTP request' },
    });
  });

  it('a 100 kB header -> 431 JSON', async () => {
    const response = await rawRequest(
      app.port,
      `GET / HTTP/1.1\r\nHost: t\r\nX-Big: ${'a'.repeat(100 * 1024)}\r\n\r\n`,
    );
    expect(response.status).toBe(431);
    expect(rawJson(response)).toEqual({
      error: { code: 'request_header_fields_too_large', message: 'request headers are too large' },
    });
  });
});

describe('404 unknown routes', () => {
  it.each([
    '/nope',
    '/api',
    '/api/',
    '/api/hello/extra',
    '/api/../etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/api/%2e%2e/healthz',
    '/metrics',
    '/favicon.ico',
    '/%ZZ',
  ])('GET %s', async (path) => {
    // fetch normalises dot segments, so send the path exactly as written.
    const response = await rawRequest(
      app.port,
      `GET ${path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`,
    );
    expect(response.status).toBe(404);
    expect(rawJson(response)).toEqual({ error: { code: 'not_found', message: 'no such route' } });
  });

  it('an unknown path with an odd method is still a 404', async () => {
    const response = await rawRequest(
      app.port,
      'PROPFIND /nope HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n',
    );
    expect(response.status).toBe(404);
  });
});

describe('405 wrong method on a known path', () => {
  it.each([
    ['POST', '/healthz', 'GET, HEAD, OPTIONS'],
    ['PUT', '/', 'GET, HEAD, OPTIONS'],
    ['DELETE', '/api/work', 'GET, HEAD, OPTIONS'],
    ['PATCH', '/api/hello', 'GET, HEAD, OPTIONS'],
    ['GET', '/api/hash', 'OPTIONS, POST'],
    ['PUT', '/api/hash', 'OPTIONS, POST'],
  ])('%s %s -> 405, Allow: %s', async (method, path, allow) => {
    const { status, body, headers } = await call(path, { method });
    expect(status).toBe(405);
    expect(headers.get('allow')).toBe(allow);
    expect(body).toEqual({
      error: {
        code: 'method_not_allowed',
        message: `method ${method} is not allowed here; allowed: ${allow}`,
      },
    });
  });

  it('HEAD on a POST-only path -> 405 without a body', async () => {
    const response = await fetch(`${app.url}/api/hash`, { method: 'HEAD' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('OPTIONS, POST');
    expect(await response.text()).toBe('');
  });

  it.each(['PROPFIND', 'TRACE', 'MKCOL', 'PURGE', 'LINK'])(
    '%s /healthz -> 405 JSON',
    async (method) => {
      const response = await rawRequest(
        app.port,
        `${method} /healthz HTTP/1.1\r\nHost: t\r\nX-Secret: s3cret-cookie\r\nConnection: close\r\n\r\n`,
      );
      expect(response.status).toBe(405);
      expect(response.headers.allow).toBe('GET, HEAD, OPTIONS');
      expect(rawJson(response)).toEqual({
        error: {
          code: 'method_not_allowed',
          message: `method ${method} is not allowed here; allowed: GET, HEAD, OPTIONS`,
        },
      });
      // TRACE must never reflect the request (cross-site tracing).
      expect(response.raw).not.toContain('s3cret-cookie');
    },
  );

  it('CONNECT is refused at the HTTP layer: the connection closes, nothing is echoed', async () => {
    const response = await rawRequest(
      app.port,
      'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
    );
    expect(response.raw).not.toContain('200');
    expect(response.raw).not.toContain('example.com');
    // And the server is still serving.
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  it('OPTIONS on a known path -> 204 with Allow', async () => {
    const response = await fetch(`${app.url}/api/hello`, { method: 'OPTIONS' });
    expect(response.status).toBe(204);
    expect(response.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect(await response.text()).toBe('');
  });
});

describe('500 on an unexpected error', () => {
  it('answers a generic message, no stack or path, and logs the error with the request id', async () => {
    const { logger, lines } = memoryLogger('info');
    const failing = await startApp({
      logger,
      lifecycle: {
        get draining(): boolean {
          throw new Error('database exploded at /work/main/src/secret.ts:42');
        },
        set draining(_value: boolean) {},
      },
    });
    try {
      const response = await fetch(`${failing.url}/readyz`, {
        headers: { 'x-request-id': 'trace-500' },
      });
      const text = await response.text();
      expect(response.status).toBe(500);
      expect(JSON.parse(text)).toEqual({
        error: { code: 'internal_error', message: 'internal server error' },
      });
      assertNoLeak(text);
      expect(text).not.toContain('exploded');
      expect(response.headers.get('x-request-id')).toBe('trace-500');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');

      const errorLines = lines().filter((line) => line.level === 50);
      expect(errorLines).toHaveLength(1);
      expect(errorLines[0]).toMatchObject({
        reqId: 'trace-500',
        msg: 'request failed',
        status: 500,
        method: 'GET',
        path: '/readyz',
        err: { message: 'database exploded at /work/main/src/secret.ts:42' },
      });
      expect(String((errorLines[0]?.err as { stack?: string }).stack)).toContain('at ');
    } finally {
      await failing.close();
    }
  });

  it('4xx answers are not logged at error level', async () => {
    const { logger, lines } = memoryLogger('info');
    const quiet = await startApp({ logger });
    try {
      await (await fetch(`${quiet.url}/api/work?ms=abc`)).text();
      await (await fetch(`${quiet.url}/nope`)).text();
      expect(lines().filter((line) => Number(line.level) >= 40)).toEqual([]);
    } finally {
      await quiet.close();
    }
  });
});
