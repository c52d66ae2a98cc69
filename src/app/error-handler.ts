// Every error thrown below it in the API's JSON error shape. It never rethrows: Koa's own handler
// answers in plain text and drops our headers. Only HttpError messages (written by us) are shown;
// anything else is a bug, logged in full and answered with a generic 500.
import { STATUS_CODES } from 'node:http';
import type { Logger } from '../logger.js';
import { clientGone, requestLogger, type AppMiddleware } from './context.js';
import { HttpError } from '../http-errors.js';
import { checkPreconditions } from './request-preconditions.js';

/** Codes for 4xx/5xx errors raised by libraries (http-errors style `status` + `expose`). */
const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  431: 'request_header_fields_too_large',
  503: 'unavailable',
};

export const INTERNAL_ERROR_MESSAGE = 'internal server error';

/** The status an http-errors-like error (Koa's ctx.throw, a library) declares, if valid. */
function declaredStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { status, statusCode } = err as { status?: unknown; statusCode?: unknown };
  const candidate = typeof status === 'number' ? status : statusCode;
  // STATUS_CODES has whole numbers only, so a fraction or NaN is refused too.
  const known = typeof candidate === 'number' && STATUS_CODES[candidate] !== undefined;
  return known && candidate >= 400 && candidate <= 599 ? candidate : undefined;
}

export function renderError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const status = declaredStatus(err) ?? 500;
  // Library messages are shown only for client errors they mark as exposable; never for 5xx.
  const expose = status < 500 && (err as { expose?: unknown }).expose === true;
  const message =
    status === 500
      ? INTERNAL_ERROR_MESSAGE
      : expose
        ? String((err as Error).message)
        : (STATUS_CODES[status] ?? 'error').toLowerCase();
  const code = status === 500 ? 'internal_error' : (CODE_BY_STATUS[status] ?? 'error');
  return new HttpError(status, code, message);
}

export function errorHandler(logger: Logger): AppMiddleware {
  return async (ctx, next) => {
    try {
      // Inside the try, so a refused precondition is rendered like every other error.
      checkPreconditions(ctx);
      await next();
    } catch (err) {
      const rendered = renderError(err);
      const gone = clientGone(ctx);
      const { status } = rendered;
      // A deliberate HttpError is part of the contract, even a 5xx one; anything else failing
      // with a 5xx is a bug worth an error line (unless the client hung up and caused it).
      if (status >= 500 && !(err instanceof HttpError) && !gone) {
        requestLogger(ctx, logger).error(
          { err, method: ctx.method, path: ctx.path, status },
          'request failed',
        );
      } else if (logger.isLevelEnabled('debug')) {
        requestLogger(ctx, logger).debug({ err, status, clientGone: gone }, 'request rejected');
      }
      ctx.status = status;
      for (const [name, value] of Object.entries(rendered.headers)) ctx.set(name, value);
      ctx.body = rendered.toBody();
    }
  };
}
