// The worker's server writes the security headers with the header block (SecureResponse) instead
// of through setHeader. The reference is the straightforward path: the same app on a plain
// node:http server, where the request envelope sets them with setHeader. Every kind of response
// must carry the same header lines, in the same order, status and body.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SECURITY_HEADERS, secureResponseClass } from '../../../src/app/security-headers.js';
import { rawRequest, startApp, type Harness } from './harness.js';

let plain: Harness;
let secure: Harness;
beforeAll(async () => {
  expect(secureResponseClass, 'this Node has OutgoingMessage._storeHeader').toBeDefined();
  plain = await startApp({ clientErrors: true });
  secure = await startApp({ clientErrors: true, ServerResponse: secureResponseClass });
});
afterAll(async () => {
  await plain.close();
  await secure.close();
});

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/g;
/** A traceresponse's trace and span ids: fresh on every request. */
const TRACE_IDS = /^(traceresponse: 00-)[0-9a-f]{32}-[0-9a-f]{16}/;

/** Status line, header lines (Date's value, fresh request and trace ids blanked), body. */
async function exchange(port: number, request: string) {
  const { raw } = await rawRequest(port, request);
  const end = raw.indexOf('\r\n\r\n');
  const [status, ...headers] = raw.slice(0, end).split('\r\n');
  const lines = headers.map((line) =>
    /^date: /i.test(line) ? 'date: *' : line.replace(UUID, 'uuid').replace(TRACE_IDS, '$1ids'),
  );
  return { status, lines, body: raw.slice(end + 4).replace(UUID, 'uuid') };
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];
// Not /api/work with a valid ms: its body reports a measured number of iterations.
const PATHS = [
  '/',
  '/healthz',
  '/readyz',
  '/api/hello',
  '/api/hello?name=%E2%9C%93',
  '/api/work?ms=abc',
  '/api/hash',
  '/api/hash?x=1&x=2',
  '/nope',
  '/%zz',
  '//api/hello',
];
const BODIES = ['', '{"data":"abc"}', '{"data":', 'not json', '{"data":"' + 'x'.repeat(300) + '"}'];

describe('SecureResponse', () => {
  it('answers every request with the header lines, status and body of the setHeader path', async () => {
    const request = fc.record({
      method: fc.constantFrom(...METHODS),
      path: fc.oneof(
        fc.constantFrom(...PATHS),
        fc.webPath().map((p) => p || '/'),
      ),
      body: fc.constantFrom(...BODIES),
      type: fc.constantFrom('application/json', 'text/plain', undefined),
      // Kept, replaced by a fresh one (not sane), or none sent (a fresh one).
      requestId: fc.constantFrom('fixed-id', 'not sane!', undefined),
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ method, path, body, type, requestId }) => {
        const text =
          `${method} ${path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n` +
          (requestId ? `x-request-id: ${requestId}\r\n` : '') +
          (type ? `content-type: ${type}\r\n` : '') +
          (body ? `content-length: ${Buffer.byteLength(body)}\r\n` : '') +
          `\r\n${body}`;
        const expected = await exchange(plain.port, text);
        const got = await exchange(secure.port, text);
        expect(got).toEqual(expected);
        for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
          expect(got.lines.filter((line) => line.startsWith(`${name}: `))).toEqual([
            `${name}: ${value}`,
          ]);
        }
        expect(got.lines.filter((line) => line.startsWith('x-request-id: '))).toEqual([
          `x-request-id: ${requestId === 'fixed-id' ? requestId : 'uuid'}`,
        ]);
        expect(got.lines.filter((line) => line.startsWith('traceresponse: '))).toEqual([
          'traceresponse: 00-ids-01',
        ]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('SecureResponse with headers the application sets itself', () => {
  let server: http.Server | undefined;
  afterEach(
    () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  );

  /** The raw header lines of one response from `handler` on a SecureResponse server. */
  async function headersFrom(handler: http.RequestListener): Promise<string[]> {
    server = http.createServer({ ServerResponse: secureResponseClass }, handler);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const { raw } = await rawRequest(
      port,
      'GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n',
    );
    return raw.slice(0, raw.indexOf('\r\n\r\n')).split('\r\n').slice(1);
  }

  it.each([
    [
      'setHeader, another case',
      (_req: http.IncomingMessage, res: http.ServerResponse) => {
        res.setHeader('Cache-Control', 'max-age=5');
        res.end('x');
      },
    ],
    [
      'writeHead with an object',
      (_req: http.IncomingMessage, res: http.ServerResponse) => {
        res.writeHead(200, { 'CACHE-CONTROL': 'max-age=5' });
        res.end('x');
      },
    ],
    [
      'writeHead with pairs',
      (_req: http.IncomingMessage, res: http.ServerResponse) => {
        res.writeHead(200, [['Cache-Control', 'max-age=5']]);
        res.end('x');
      },
    ],
    [
      'writeHead with a flat list',
      (_req: http.IncomingMessage, res: http.ServerResponse) => {
        res.writeHead(200, ['Cache-Control', 'max-age=5']);
        res.end('x');
      },
    ],
    [
      'writeHead with an object after setHeader',
      (_req: http.IncomingMessage, res: http.ServerResponse) => {
        res.setHeader('x-other', '1');
        res.writeHead(200, { 'Cache-Control': 'max-age=5' });
        res.end('x');
      },
    ],
  ])('%s: its value wins, written once, and the other headers are there', async (_, handler) => {
    const lines = await headersFrom(handler);
    expect(lines.filter((line) => /^cache-control: /i.test(line))).toEqual([
      expect.stringMatching(/^cache-control: max-age=5$/i),
    ]);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      if (name !== 'cache-control') expect(lines).toContain(`${name}: ${value}`);
    }
  });
});
