// Property-based tests of every validator in validation.ts, each against an independent oracle,
// plus arbitrary unicode through the real HTTP stack.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '../../../src/http-errors.js';
import {
  DEFAULT_HELLO_NAME,
  delayQuery,
  hashBody,
  helloQuery,
  validate,
  workQuery,
  type HashBody,
} from '../../../src/app/validation.js';
import { assertNoLeak, startApp, type Harness } from './harness.js';

/** Runs validate() and returns either the data or the 400 it threw. */
function attempt(
  run: () => unknown,
): { ok: true; data: unknown } | { ok: false; error: HttpError } {
  try {
    return { ok: true, data: run() };
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    return { ok: false, error: err };
  }
}

function expectRejected(result: ReturnType<typeof attempt>, field: string): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.error.status).toBe(400);
  expect(result.error.code).toBe('invalid_input');
  expect(result.error.field).toBe(field);
  expect(result.error.message.startsWith(`${field} `)).toBe(true);
  expect(result.error.toBody()).toEqual({
    error: { code: 'invalid_input', message: result.error.message, field },
  });
}

/** Any UTF-16 string, lone surrogates included (what a decoded query string can contain). */
const anyUtf16 = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  maxLength: 300,
});
const anyCodePoints = fc.string({ unit: 'binary', maxLength: 300 });

const integerQueries = [
  { name: 'workQuery', schema: workQuery, min: 1, max: 5_000 },
  { name: 'delayQuery', schema: delayQuery, min: 0, max: 30_000 },
] as const;

describe.each(integerQueries)('$name (ms)', ({ schema, min, max }) => {
  const oracle = (s: string): number | undefined => {
    if (!/^[0-9]+$/.test(s) || s.length > 9) return undefined;
    const n = Number(s);
    return n >= min && n <= max ? n : undefined;
  };

  it('accepts every integer in range, as plain digits', () => {
    fc.assert(
      fc.property(fc.integer({ min, max }), (n) => {
        expect(validate(schema, { ms: String(n) }, 'query')).toEqual({ ms: n });
      }),
    );
  });

  it('accepts leading zeros that still fit in 9 digits', () => {
    fc.assert(
      fc.property(fc.integer({ min, max }), fc.nat(3), (n, zeros) => {
        const text = '0'.repeat(zeros) + String(n);
        fc.pre(text.length <= 9);
        expect(validate(schema, { ms: text }, 'query')).toEqual({ ms: n });
      }),
    );
  });

  it('rejects every integer out of range, naming ms', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ max: min - 1 }),
          fc.integer({ min: max + 1 }),
          fc.bigInt().map((b) => b * 10n ** 20n),
        ),
        (n) => {
          fc.pre(Number(n) < min || Number(n) > max);
          expectRejected(
            attempt(() => validate(schema, { ms: String(n) }, 'query')),
            'ms',
          );
        },
      ),
    );
  });

  it('agrees with the oracle on arbitrary strings (no sign, exponent, spaces, decimals)', () => {
    const candidates = fc.oneof(
      anyUtf16,
      fc.stringMatching(/^[ +-]?[0-9]{0,12}(\.[0-9]{0,3})?(e[0-9])?[ ]?$/),
      fc.constantFrom('NaN', 'Infinity', '-0', '0x10', '1_000', '١٢', '１２'),
    );
    fc.assert(
      fc.property(candidates, (text) => {
        const expected = oracle(text);
        const result = attempt(() => validate(schema, { ms: text }, 'query'));
        if (expected === undefined) expectRejected(result, 'ms');
        else expect(result).toEqual({ ok: true, data: { ms: expected } });
      }),
      { numRuns: 500 },
    );
  });

  it('rejects a repeated parameter (Koa gives an array) and a missing one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min, max }).map(String), { minLength: 2, maxLength: 5 }),
        (values) => {
          const result = attempt(() => validate(schema, { ms: values }, 'query'));
          expectRejected(result, 'ms');
          if (!result.ok) expect(result.error.message).toBe('ms must be given once');
        },
      ),
    );
    const missing = attempt(() => validate(schema, {}, 'query'));
    expectRejected(missing, 'ms');
    if (!missing.ok) expect(missing.error.message).toBe('ms is required');
  });

  it('ignores other parameters', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string().filter((k) => k !== 'ms'),
          anyUtf16,
        ),
        (extra) => {
          expect(validate(schema, { ...extra, ms: String(max) }, 'query')).toEqual({ ms: max });
        },
      ),
    );
  });
});

describe('helloQuery (name)', () => {
  const oracle = (raw: string): string | undefined => {
    const trimmed = raw.trim();
    if (trimmed.length === 0) return undefined;
    if ([...trimmed].length > 100) return undefined;
    if (/\p{Cc}/u.test(trimmed)) return undefined;
    return trimmed;
  };

  it('agrees with the oracle on arbitrary strings, lone surrogates included', () => {
    fc.assert(
      fc.property(
        fc.oneof(anyUtf16, anyCodePoints, fc.string({ unit: 'grapheme', maxLength: 120 })),
        (name) => {
          const expected = oracle(name);
          const result = attempt(() => validate(helloQuery, { name }, 'query'));
          if (expected === undefined) expectRejected(result, 'name');
          else expect(result).toEqual({ ok: true, data: { name: expected } });
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('accepts every printable name of 1..100 code points, trimmed', () => {
    const printable = fc
      .string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 100 })
      .filter((s) => s.trim() !== '');
    fc.assert(
      fc.property(printable, fc.constantFrom('', ' ', '\t', '  \u00a0'), (name, pad) => {
        expect(validate(helloQuery, { name: pad + name + pad }, 'query')).toEqual({
          name: name.trim(),
        });
      }),
    );
  });

  it('rejects names longer than 100 code points', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 101, maxLength: 400 }), (name) => {
        fc.pre([...name.trim()].length > 100);
        expectRejected(
          attempt(() => validate(helloQuery, { name }, 'query')),
          'name',
        );
      }),
    );
  });

  it('defaults to "world" when absent and rejects repeats', () => {
    expect(validate(helloQuery, {}, 'query')).toEqual({ name: DEFAULT_HELLO_NAME });
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 2, maxLength: 4 }), (names) => {
        expectRejected(
          attempt(() => validate(helloQuery, { name: names }, 'query')),
          'name',
        );
      }),
    );
  });
});

describe('hashBody', () => {
  const FIELDS = new Set(['input', 'iterations']);
  /** Independent statement of the accepted bodies; undefined when the body must be rejected. */
  const oracle = (body: unknown): HashBody | undefined => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
    const record = body as Record<string, unknown>;
    if (Object.keys(record).some((key) => !FIELDS.has(key))) return undefined;
    const { input, iterations } = record;
    if (typeof input !== 'string' || input.length < 1 || input.length > 10_000) return undefined;
    if (iterations === undefined) return { input, iterations: 10_000 };
    if (typeof iterations !== 'number' || !Number.isSafeInteger(iterations)) return undefined;
    if (iterations < 1 || iterations > 1_000_000) return undefined;
    return { input, iterations };
  };

  const validBodies = fc.record(
    {
      input: fc.string({ minLength: 1, maxLength: 200 }),
      iterations: fc.integer({ min: 1, max: 1_000_000 }),
    },
    { requiredKeys: ['input'] },
  );
  const nearlyValid = fc.record(
    {
      input: fc.oneof(
        fc.string({ maxLength: 20 }),
        fc.constant(''),
        fc.integer(),
        fc.constant(null),
        fc.string({ minLength: 10_001, maxLength: 10_002 }),
      ),
      iterations: fc.oneof(
        fc.integer(),
        fc.double(),
        fc.constant('10'),
        fc.constant(null),
        fc.integer({ min: 1, max: 1_000_000 }),
      ),
      extra: fc.jsonValue(),
    },
    { requiredKeys: [] },
  );

  it('accepts every valid body, defaulting iterations to 10,000', () => {
    fc.assert(
      fc.property(validBodies, (body) => {
        expect(validate(hashBody, body, 'body')).toEqual({ iterations: 10_000, ...body });
      }),
    );
  });

  it('agrees with the oracle on arbitrary JSON values and near-misses, naming a field on rejection', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), nearlyValid, validBodies), (value) => {
        // What a client can actually send: the value after a JSON round trip.
        const body = JSON.parse(JSON.stringify(value) ?? 'null') as unknown;
        const expected = oracle(body);
        const result = attempt(() => validate(hashBody, body, 'body'));
        if (expected !== undefined) {
          expect(result).toEqual({ ok: true, data: expected });
          return;
        }
        expect(result.ok).toBe(false);
        if (result.ok) return;
        const field = result.error.field ?? '';
        const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
        if (!isObject) expect(field).toBe('body');
        else
          expect(field === 'input' || field === 'iterations' || field in (body as object)).toBe(
            true,
          );
        expectRejected(result, field);
      }),
      { numRuns: 1_000 },
    );
  });

  it('caps an echoed unknown key at 64 characters', () => {
    const key = 'k'.repeat(500);
    const result = attempt(() => validate(hashBody, { input: 'a', [key]: 1 }, 'body'));
    expectRejected(result, 'k'.repeat(64));
  });
});

describe('arbitrary input over HTTP never causes a 5xx', () => {
  let app: Harness;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.close());

  it('GET /api/hello with any unicode name answers 200 or a 400 naming "name"', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyUtf16, anyCodePoints), async (name) => {
        // URLSearchParams encodes lone surrogates as U+FFFD, like a browser would.
        const response = await fetch(
          `${app.url}/api/hello?${new URLSearchParams({ name }).toString()}`,
        );
        const text = await response.text();
        const body = JSON.parse(text) as { message?: string; error?: { field?: string } };
        expect([200, 400]).toContain(response.status);
        if (response.status === 200) expect(body.message).toMatch(/^hello, /);
        else {
          expect(body.error?.field).toBe('name');
          assertNoLeak(text);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('GET /api/work and /api/delay with any ms value answer 200 or a 400 naming "ms"', async () => {
    // Digit strings are kept tiny: a valid 30000 would make this test wait 30 s.
    const small = fc
      .oneof(fc.integer({ min: -5, max: 3 }).map(String), anyUtf16)
      .filter((s) => !/^[0-9]+$/.test(s) || Number(s) <= 3);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/api/work', '/api/delay'), small, async (path, ms) => {
        const response = await fetch(`${app.url}${path}?${new URLSearchParams({ ms }).toString()}`);
        const text = await response.text();
        expect([200, 400]).toContain(response.status);
        if (response.status === 400) {
          expect((JSON.parse(text) as { error: { field: string } }).error.field).toBe('ms');
          assertNoLeak(text);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('POST /api/hash with any JSON body answers 200 or a 400 with the error shape', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const response = await fetch(`${app.url}/api/hash`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(value) ?? 'null',
        });
        const text = await response.text();
        expect([200, 400]).toContain(response.status);
        if (response.status === 400) {
          const body = JSON.parse(text) as { error: { code: string; message: string } };
          expect(Object.keys(body)).toEqual(['error']);
          expect(typeof body.error.message).toBe('string');
          assertNoLeak(text);
        }
      }),
      { numRuns: 200 },
    );
  });
});
