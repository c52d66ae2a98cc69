// Every input the API accepts, as zod schemas, and the one place a failed parse becomes a 400.
// A query key given twice arrives as an array (query.ts): query schemas reject it explicitly.
import * as z from '../zod.js';
import { invalidInput } from '../http-errors.js';

export const HELLO_NAME_MAX = 100;
export const DEFAULT_HELLO_NAME = 'world';
export const WORK_MS = { min: 1, max: 5_000 } as const;
export const DELAY_MS = { min: 0, max: 30_000 } as const;
export const HASH_INPUT_MAX = 10_000;
export const HASH_ITERATIONS = { min: 1, max: 1_000_000, default: 10_000 } as const;

/** Longest field name echoed back in an error (unknown body keys come from the client). */
const FIELD_NAME_MAX = 64;

function queryValueError(issue: { input?: unknown }): string {
  if (issue.input === undefined) return 'is required';
  if (Array.isArray(issue.input)) return 'must be given once';
  return 'must be a string';
}

// Digits only, at most 9 of them: no sign, exponent, point or spaces, and Number() is exact.
export function integerParam(min: number, max: number) {
  const message = `must be an integer from ${min} to ${max}`;
  return z.pipe(
    z.pipe(
      z.string({ error: queryValueError }).check(z.regex(/^\d{1,9}$/, { error: message })),
      z.transform(Number),
    ),
    z.number().check(z.int(), z.gte(min, { error: message }), z.lte(max, { error: message })),
  );
}

// \p{Cc}: C0/C1 control characters. A greeting has no use for them, and they make log lines and
// terminals misbehave.
const CONTROL_CHARACTER = /\p{Cc}/u;

/** A name to greet: trimmed, 1..100 characters (code points, so an emoji counts once). */
export const nameParam = z.string({ error: queryValueError }).check(
  z.trim(),
  z.refine((s: string) => s.length > 0, { error: 'must not be empty', abort: true }),
  // Code points; the UTF-16 length is an upper bound, so short strings skip the count.
  z.refine((s: string) => s.length <= HELLO_NAME_MAX || [...s].length <= HELLO_NAME_MAX, {
    error: `must be at most ${HELLO_NAME_MAX} characters`,
    abort: true,
  }),
  z.refine((s: string) => !CONTROL_CHARACTER.test(s), {
    error: 'must not contain control characters',
  }),
);

export const helloQuery = z.object({ name: z._default(nameParam, DEFAULT_HELLO_NAME) });

export const workQuery = z.object({ ms: integerParam(WORK_MS.min, WORK_MS.max) });

export const delayQuery = z.object({ ms: integerParam(DELAY_MS.min, DELAY_MS.max) });

const ITERATIONS_RANGE = `must be an integer from ${HASH_ITERATIONS.min} to ${HASH_ITERATIONS.max}`;

export const hashBody = z.strictObject(
  {
    input: z
      .string({
        error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string'),
      })
      .check(
        z.minLength(1, { error: 'must not be empty' }),
        z.maxLength(HASH_INPUT_MAX, { error: `must be at most ${HASH_INPUT_MAX} characters` }),
      ),
    iterations: z._default(
      z
        .number({ error: 'must be an integer' })
        .check(
          z.int({ error: 'must be an integer' }),
          z.gte(HASH_ITERATIONS.min, { error: ITERATIONS_RANGE }),
          z.lte(HASH_ITERATIONS.max, { error: ITERATIONS_RANGE }),
        ),
      HASH_ITERATIONS.default,
    ),
  },
  // The whole body is not an object (an array, a string, null...).
  { error: (issue) => (issue.code === 'invalid_type' ? 'must be a JSON object' : undefined) },
);

export type HashBody = z.output<typeof hashBody>;

/** Throws a 400 naming the field of zod's first problem; `root` ("query", "body") for the whole. */
export function validate<S extends z.ZodMiniType>(
  schema: S,
  input: unknown,
  root: string,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue === undefined) throw invalidInput(root, `${root} is invalid`);
  if (issue.code === 'unrecognized_keys') {
    const key = String(issue.keys[0] ?? '').slice(0, FIELD_NAME_MAX);
    throw invalidInput(key, `${key} is not an accepted field`);
  }
  const field = issue.path.length === 0 ? root : issue.path.map(String).join('.');
  throw invalidInput(field, `${field} ${issue.message}`);
}
