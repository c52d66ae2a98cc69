// Every error the application answers on purpose, made in one place: the shared error type and
// JSON shape (src/http-errors.ts) and the factories the routes, the body reader, the
// preconditions and load shedding throw. Error responses are rendered by error-handler.ts;
// requests Node's parser rejects are answered by client-error.ts.
import { HttpError } from '../http-errors.js';

export {
  errorBody,
  expectationFailed,
  HttpError,
  missingHost,
  type ErrorBody,
} from '../http-errors.js';

/** The connection closes after the answer: what is left on it is unread or unwanted. */
const CLOSE = { Connection: 'close' };

/** 400 for a query parameter or body field that failed validation. */
export function invalidInput(field: string, message: string): HttpError {
  return new HttpError(400, 'invalid_input', message, { field });
}

/** 400 for a request the API cannot make sense of. */
export function badRequest(message: string, options: { cause?: unknown } = {}) {
  return new HttpError(400, 'bad_request', message, { cause: options.cause });
}

export function invalidJson(message: string): HttpError {
  return new HttpError(400, 'invalid_json', message);
}

export function notFound(): HttpError {
  return new HttpError(404, 'not_found', 'no such route');
}

export function methodNotAllowed(method: string, allow: readonly string[]): HttpError {
  // The method is one of a fixed set or a token Node's parser accepted; cap it anyway so an odd
  // extension method cannot make the message arbitrarily long.
  return new HttpError(
    405,
    'method_not_allowed',
    `method ${method.slice(0, 32)} is not allowed here; allowed: ${allow.join(', ')}`,
    { headers: { Allow: allow.join(', ') } },
  );
}

/*
 * Errors answered before the body was read: the unread bytes are still on the connection, so it
 * closes after the response rather than have Node read and discard an arbitrarily large body.
 */

export function payloadTooLarge(limit: number): HttpError {
  return new HttpError(413, 'payload_too_large', `request body must be at most ${limit} bytes`, {
    headers: CLOSE,
  });
}

export function unsupportedMediaType(message: string): HttpError {
  return new HttpError(415, 'unsupported_media_type', message, { headers: CLOSE });
}

/** 503 from a saturated worker: the client's retry goes to another connection (and worker). */
export function overloaded(retryAfterSeconds: number): HttpError {
  return new HttpError(503, 'overloaded', 'this worker is saturated; retry shortly', {
    headers: { 'Retry-After': String(retryAfterSeconds), ...CLOSE },
  });
}
