// Reads a JSON request body with a hard size limit. Checks run cheapest first: the media type
// and the declared length are rejected before a single body byte is read, so a client cannot make
// a worker buffer (or even receive) more than the limit.
import getRawBody from 'raw-body';
import {
  badRequest,
  HttpError,
  jsonBodyProblem,
  payloadTooLarge,
  unsupportedMediaType,
} from '../http-errors.js';
import type { AppContext } from './context.js';

/** 100 kB: far above the largest valid /api/hash body (10,000 characters, even \u-escaped). */
export const BODY_LIMIT_BYTES = 100 * 1024;

function bodyReadError(err: unknown, limit: number): HttpError {
  switch ((err as { type?: unknown } | null)?.type) {
    case 'entity.too.large':
      return payloadTooLarge(limit);
    case 'request.size.invalid':
      return badRequest('request body is shorter than its content-length', { cause: err });
    case 'request.aborted':
      return badRequest('request body was not completely received', { cause: err });
    default:
      return badRequest('request body could not be read', { cause: err });
  }
}

/** Any JSON value (the route's schema decides), or an HttpError 415, 413 or 400. */
export async function readJsonBody(ctx: AppContext, limit = BODY_LIMIT_BYTES): Promise<unknown> {
  const problem = jsonBodyProblem(ctx.req.headers);
  if (problem !== undefined) throw unsupportedMediaType(problem);
  // Node has already rejected malformed or conflicting Content-Length headers with a 400.
  const declared = ctx.req.headers['content-length'];
  const length = declared === undefined ? undefined : Number(declared);
  if (length !== undefined && length > limit) throw payloadTooLarge(limit);

  // raw-body enforces the limit on chunked bodies too, and checks the received length against
  // the declared one (a body cut short is a 400, not a parse of half a document).
  const text = await getRawBody(ctx.req, { length, limit, encoding: 'utf-8' }).catch(
    (err: unknown) => Promise.reject(bodyReadError(err, limit)),
  );
  if (text.length === 0) throw new HttpError(400, 'invalid_json', 'request body is empty');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // JSON.parse messages quote the input; the client already has it, a fixed message suffices.
    throw new HttpError(400, 'invalid_json', 'request body is not valid JSON');
  }
}
