// The fast paths of validation.ts against the straightforward zod path they stand in for: the
// same inputs accepted with equal data, the same rejected with the same 400 (status, code,
// message, field). Queries come both as parseQuery() builds them and as arbitrary objects.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../src/http-errors.js';
import { parseQuery } from '../../../src/app/query.js';
import { helloQuery, validate, validateHelloQuery } from '../../../src/app/validation.js';

/** The outcome of a validation, comparable with toEqual: data, or the 400's body. */
function outcome(run: () => unknown): unknown {
  try {
    return { ok: run() };
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    return { status: err.status, body: err.toBody() };
  }
}

const slow = (query: Record<string, unknown>) =>
  outcome(() => validate(helloQuery, query, 'query'));
const fast = (query: Record<string, unknown>) => outcome(() => validateHelloQuery(query));

/** Names near every edge: blanks, controls, surrogates, the 100-code-point limit. */
const name = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.string({ unit: 'grapheme', maxLength: 110 }),
  fc.string({ maxLength: 8 }),
  fc.constantFrom(
    '',
    ' ',
    '\t',
    '\u00a0',
    '\u2028',
    '\ufeff',
    'a\u0000',
    '\u007f',
    '\u0085x',
    '\ud800',
    'x'.repeat(100),
    ` ${'x'.repeat(100)} `,
    'x'.repeat(101),
    '😀'.repeat(100),
    '😀'.repeat(101),
  ),
);

describe('validateHelloQuery equals validate(helloQuery, ...)', () => {
  it('on queries of any name value (absent, a string, repeated, not a string)', () => {
    const value = fc.oneof(
      name,
      fc.array(name, { minLength: 2, maxLength: 3 }),
      fc.constant(undefined),
      fc.anything(),
    );
    const extra = fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(name, fc.array(name)), {
      maxKeys: 3,
    });
    fc.assert(
      fc.property(value, extra, (nameValue, others) => {
        const query: Record<string, unknown> = { ...others };
        if (nameValue === undefined) delete query.name;
        else query.name = nameValue;
        expect(fast(query)).toEqual(slow(query));
      }),
      { numRuns: 3_000 },
    );
  });

  it('on queries as parseQuery() builds them from arbitrary query strings', () => {
    const piece = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom('name', '%00', '%20', '+', '%F0%9F%98%80', '%ZZ', '=', '&'),
    );
    const querystring = fc
      .array(fc.tuple(piece, piece), { maxLength: 6 })
      .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));
    fc.assert(
      fc.property(
        fc.oneof(
          querystring,
          name.map((n) => new URLSearchParams({ name: n }).toString()),
        ),
        (qs) => {
          const query = parseQuery(qs);
          expect(fast(query)).toEqual(slow(query));
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('takes the fast path for the common cases and falls back for the rest', () => {
    expect(fast({ name: '  ann ' })).toEqual({ ok: { name: 'ann' } });
    expect(fast({})).toEqual({ ok: { name: 'world' } });
    expect(fast({ name: ['a', 'b'] })).toEqual({
      status: 400,
      body: { error: { code: 'invalid_input', message: 'name must be given once', field: 'name' } },
    });
    expect(fast({ name: ' ' })).toEqual(slow({ name: ' ' }));
  });
});
