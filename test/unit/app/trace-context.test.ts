// W3C Trace Context on the request path: the parser's every rule, then the real app honouring,
// replacing and answering trace ids (traceresponse, ctx.state, log lines).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { describe, expect, it } from 'vitest';
import type { AppState } from '../../../src/app/context.js';
import { requestEnvelope } from '../../../src/app/request-envelope.js';
import { parseTraceparent, randomHexId, validTracestate } from '../../../src/app/trace-context.js';
import { createLogger } from '../../../src/logger.js';
import { memoryLogger, startApp, startAppWithBrokenReadiness } from './harness.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const TRACERESPONSE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

describe('parseTraceparent', () => {
  it('takes the trace id and the sampled bit of a valid version 00', () => {
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-01`)).toEqual({
      traceId: TRACE,
      parentSpanId: PARENT,
      traceFlags: 1,
    });
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-00`)).toEqual({
      traceId: TRACE,
      parentSpanId: PARENT,
      traceFlags: 0,
    });
    // A bit field: only the sampled bit counts, the others are not passed on.
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-09`)?.traceFlags).toBe(1);
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-fe`)?.traceFlags).toBe(0);
  });

  it.each([
    ['absent', undefined],
    ['not a string (a repeated header as an array)', [`00-${TRACE}-${PARENT}-01`]],
    ['empty', ''],
    ['a repeated header, joined', `00-${TRACE}-${PARENT}-01, 00-${TRACE}-${PARENT}-01`],
    ['version ff', `ff-${TRACE}-${PARENT}-01`],
    ['upper-case version', `0A-${TRACE}-${PARENT}-01`],
    ['upper-case trace id', `00-${TRACE.toUpperCase()}-${PARENT}-01`],
    ['upper-case parent id', `00-${TRACE}-${PARENT.toUpperCase()}-01`],
    ['upper-case flags', `00-${TRACE}-${PARENT}-0A`],
    ['non-hex trace id', `00-${TRACE.slice(0, 31)}g-${PARENT}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
    ['all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['short trace id', `00-${TRACE.slice(1)}-${PARENT}-01`],
    ['long parent id', `00-${TRACE}-${PARENT}0-01`],
    ['one-digit flags', `00-${TRACE}-${PARENT}-1`],
    ['version 00 with another field', `00-${TRACE}-${PARENT}-01-extra`],
    ['version 00 with a trailing character', `00-${TRACE}-${PARENT}-01x`],
    ['other separators', `00_${TRACE}_${PARENT}_01`],
    ['surrounding spaces', ` 00-${TRACE}-${PARENT}-01 `],
  ])('refuses %s', (_name, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  it('parses the first four fields of a future version, after which only a dash may follow', () => {
    const expected = { traceId: TRACE, parentSpanId: PARENT, traceFlags: 1 };
    expect(parseTraceparent(`cc-${TRACE}-${PARENT}-01`)).toEqual(expected);
    expect(parseTraceparent(`cc-${TRACE}-${PARENT}-01-what-the-future-holds`)).toEqual(expected);
    expect(parseTraceparent(`cc-${TRACE}-${PARENT}-01what`)).toBeUndefined();
    expect(parseTraceparent(`cc-${TRACE}-${PARENT}-1`)).toBeUndefined();
    expect(parseTraceparent(`cc-${'0'.repeat(32)}-${PARENT}-01-x`)).toBeUndefined();
  });
});

describe('validTracestate', () => {
  /** `count` distinct members k0=v, k1=v, ... */
  const members = (count: number) => Array.from({ length: count }, (_, i) => `k${i}=v`);

  it('keeps a valid header verbatim, spaces and empty members included', () => {
    for (const value of [
      'congo=t61rcWkgMzE',
      'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
      ' rojo=00f067aa0ba902b7 ,\t, congo=t61rcWkgMzE\t',
      'tenant@system=x',
      '1vendor_*/-=a value with spaces and !"#$%&\'()*+-./:;<>?@[\\]^_`{|}~',
      `${'k'.repeat(256)}=${'v'.repeat(255)}`, // the longest key, 512 characters in all
      `k=${'v'.repeat(256)}`, // the longest value
      members(32).join(','),
    ]) {
      expect(validTracestate(value), value).toBe(value);
    }
  });

  it('drops the whole header beyond the limits or with any invalid member', () => {
    for (const value of [
      undefined,
      '',
      ' , ',
      members(33).join(','),
      'Congo=x',
      '_congo=x',
      'congo',
      'congo=',
      'congo=a=b',
      'congo=tab\there',
      'congo=é',
      `${'k'.repeat(257)}=v`,
      `k=${'v'.repeat(257)}`,
      'congo=1,rojo=2,congo=3',
      'congo=1,rojo=Invalid=',
    ]) {
      expect(validTracestate(value), value).toBeUndefined();
    }
    // The 512-character boundary itself: kept.
    const longest = `a=${'v'.repeat(254)},b=${'v'.repeat(253)}`;
    expect(longest).toHaveLength(512);
    expect(validTracestate(longest)).toBe(longest);
    expect(validTracestate(`${longest} `)).toBeUndefined();
  });
});

describe('randomHexId', () => {
  it('gives lower-case hex of the asked size, distinct across pool refills', () => {
    const ids = new Set<string>();
    // 1000 × 24 bytes refills the 4 KiB pool several times.
    for (let i = 0; i < 1000; i++) {
      const trace = randomHexId(16);
      const span = randomHexId(8);
      expect(trace).toMatch(/^[0-9a-f]{32}$/);
      expect(span).toMatch(/^[0-9a-f]{16}$/);
      ids.add(trace).add(span);
    }
    expect(ids.size).toBe(2000);
  });
});

async function traced(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  await response.text();
  const match = TRACERESPONSE.exec(response.headers.get('traceresponse') ?? '');
  expect(match, `traceresponse of ${url}`).not.toBeNull();
  return { status: response.status, traceId: match![1]!, spanId: match![2]!, flags: match![3]! };
}

describe('the request path', () => {
  it('honours a valid traceparent, replaces an invalid one, and answers traceresponse on 200/404/400/405/500', async () => {
    const app = await startApp();
    const broken = await startAppWithBrokenReadiness();
    try {
      const caller = { traceparent: `00-${TRACE}-${PARENT}-00` };
      for (const [url, status] of [
        [`${app.url}/api/hello`, 200],
        [`${app.url}/nope`, 404],
        [`${app.url}/api/work?ms=abc`, 400],
        [`${app.url}/api/hash`, 405],
        [`${broken.url}/readyz`, 500],
      ] as const) {
        const honoured = await traced(url, caller);
        expect(honoured).toMatchObject({ status, traceId: TRACE, flags: '00' });
        expect(honoured.spanId).not.toBe(PARENT);

        const replaced = await traced(url, {
          traceparent: `00-${TRACE.toUpperCase()}-${PARENT}-00`,
        });
        expect(replaced).toMatchObject({ status, flags: '01' });
        expect(replaced.traceId).not.toBe(TRACE);

        const fresh = await traced(url);
        expect(fresh).toMatchObject({ status, flags: '01' });
        expect(fresh.traceId).not.toBe(replaced.traceId);
      }
      // A new span per request, in one trace.
      const first = await traced(`${app.url}/`, caller);
      const second = await traced(`${app.url}/`, caller);
      expect(second.traceId).toBe(first.traceId);
      expect(second.spanId).not.toBe(first.spanId);
    } finally {
      await app.close();
      await broken.close();
    }
  });

  it('puts the trace context on ctx.state, tracestate only with an honoured traceparent', async () => {
    const app = new Koa<AppState>();
    app.use(requestEnvelope(createLogger('silent', {}), undefined, undefined));
    app.use((ctx) => {
      const { traceId, spanId, traceFlags, tracestate } = ctx.state;
      ctx.body = { traceId, spanId, traceFlags, tracestate: tracestate ?? null };
    });
    const server = http.createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const state = async (headers: Record<string, string>) => {
      const response = await fetch(url, { headers });
      const body = (await response.json()) as Record<string, unknown>;
      expect(response.headers.get('traceresponse')).toBe(
        `00-${String(body.traceId)}-${String(body.spanId)}-0${String(body.traceFlags)}`,
      );
      return body;
    };
    try {
      const traceparent = `00-${TRACE}-${PARENT}-01`;
      expect(await state({ traceparent, tracestate: 'rojo=1,congo=2' })).toMatchObject({
        traceId: TRACE,
        traceFlags: 1,
        tracestate: 'rojo=1,congo=2',
      });
      expect(await state({ traceparent, tracestate: 'Rojo=1' })).toMatchObject({
        traceId: TRACE,
        tracestate: null,
      });
      const restarted = await state({ traceparent: 'garbage', tracestate: 'rojo=1' });
      expect(restarted).toMatchObject({ traceFlags: 1, tracestate: null });
      expect(restarted.traceId).not.toBe(TRACE);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('binds trace_id and span_id to the access line and to an error line', async () => {
    const { logger, lines } = memoryLogger('debug');
    const app = await startApp({ logger });
    try {
      const sent = await traced(`${app.url}/api/hello`, {
        traceparent: `00-${TRACE}-${PARENT}-01`,
        'x-request-id': 'req-t',
      });
      const fresh = await traced(`${app.url}/nope`);
      expect(lines().filter((line) => line.msg === 'request')).toEqual([
        expect.objectContaining({ reqId: 'req-t', trace_id: TRACE, span_id: sent.spanId }),
        expect.objectContaining({ trace_id: fresh.traceId, span_id: fresh.spanId, status: 404 }),
      ]);
      // The 404's debug "request rejected" line shares the request's child logger.
      expect(lines().find((line) => line.msg === 'request rejected')).toMatchObject({
        trace_id: fresh.traceId,
        span_id: fresh.spanId,
      });
    } finally {
      await app.close();
    }
  });
});
