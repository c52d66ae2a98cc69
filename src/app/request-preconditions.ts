// Requests the API refuses before routing that Node's HTTP server would otherwise refuse itself,
// in a bare response without our body, request id or security headers: an HTTP/1.1 request
// without Host (the worker's server runs with requireHostHeader off so the request gets here),
// and an Expect header other than 100-continue (the server's 'checkExpectation' listener passes
// it on, see expectations.ts). Both close the connection, as Node's own answers do.
import type { AppContext } from './context.js';
import { expectationFailed, missingHost } from '../http-errors.js';

/** Node's own test for a 100-continue expectation (lib/_http_server.js). */
export const CONTINUE_EXPECTATION = /(?:^|\W)100-continue(?:$|\W)/i;

/** Throws the 400 or 417 a request must get before any route sees it. */
export function checkPreconditions(ctx: AppContext): void {
  const { headers } = ctx.req;
  // The hot path: two property reads.
  if (headers.host && headers.expect === undefined) return;
  // HTTP/1.0 needs no Host, and its Expect header must be ignored (RFC 9110, 10.1.1).
  if (ctx.req.httpVersion !== '1.1') return;
  if (!headers.host) {
    throw missingHost();
  }
  if (headers.expect !== undefined && !CONTINUE_EXPECTATION.test(headers.expect)) {
    throw expectationFailed();
  }
}
