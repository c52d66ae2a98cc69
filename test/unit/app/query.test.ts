// parseQuery must mean exactly what Koa's ctx.query means, minus Koa's quadratic cost.
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQuery } from '../../../src/app/query.js';
import { startApp, type Harness } from './harness.js';

// Koa's own parser (what ctx.query uses), as the oracle.
const koaSearchParams = createRequire(import.meta.url)('koa/lib/search-params.js') as {
  parse(querystring: string): Record<string, string | string[]>;
};

const plain = (query: object): Record<string, unknown> => ({ ...query });

describe('parseQuery', () => {
  it('agrees with Koa on arbitrary query strings', () => {
    const piece = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom(
        'ms',
        'name',
        '__proto__',
        'constructor',
        '%',
        '%ZZ',
        '%F0%9F',
        '+',
        '=',
        '&',
      ),
    );
    const querystring = fc
      .array(fc.tuple(piece, piece, fc.boolean()), { maxLength: 12 })
      .map((pairs) => pairs.map(([k, v, withValue]) => (withValue ? `${k}=${v}` : k)).join('&'));
    fc.assert(
      fc.property(fc.oneof(querystring, fc.string({ maxLength: 40 })), (qs) => {
        expect(plain(parseQuery(qs))).toEqual(plain(koaSearchParams.parse(qs)));
      }),
      { numRuns: 2_000 },
    );
  });

  it('turns a repeated key into an array, in order', () => {
    expect(plain(parseQuery('ms=1&x=a&ms=2&ms=3'))).toEqual({ ms: ['1', '2', '3'], x: 'a' });
    expect(plain(parseQuery(''))).toEqual({});
  });

  it('has no prototype to pollute', () => {
    const query = parseQuery('__proto__=x&constructor=y');
    // Its prototype is empty, frozen, and ends the chain: nothing inherited, nothing to pollute.
    const prototype = Object.getPrototypeOf(query) as object;
    expect(Object.getPrototypeOf(prototype)).toBeNull();
    expect(Reflect.ownKeys(prototype)).toEqual([]);
    expect(Object.isFrozen(prototype)).toBe(true);
    expect('toString' in parseQuery('')).toBe(false);
    expect(Object.keys(query)).toEqual(['__proto__', 'constructor']);
    expect(query.__proto__).toBe('x');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('is linear: 5,000 repeats of one key parse in a few ms (Koa needs ~150 ms)', () => {
    const qs = 'a=&'.repeat(5_000);
    const started = performance.now();
    const query = parseQuery(qs);
    expect(performance.now() - started).toBeLessThan(50);
    expect(query.a).toHaveLength(5_000);
  });
});

describe('over HTTP', () => {
  let app: Harness;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.close());

  it('a 15 kB query of repeated keys is answered normally', async () => {
    const response = await fetch(`${app.url}/api/hello?name=q&${'a=&'.repeat(5_000)}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: 'hello, q' });
  });

  it('3,000 repeats of the validated key are one 400', async () => {
    const response = await fetch(`${app.url}/api/work?${'ms=1&'.repeat(3_000)}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { code: 'invalid_input', message: 'ms must be given once', field: 'ms' },
    });
  });
});
