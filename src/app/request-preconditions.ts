// Requests the API refuses before routing that Node would refuse itself in a bare response: an
// HTTP/1.1 request without Host (the worker's server runs with requireHostHeader off) and an Expect
// other than 100-continue (passed on by expectations.ts). Both close, as Node's own answers do.
import type { AppContext } from './context.js';
import { expectationFailed, missingHost } from '../http-errors.js';

/** Node's own test for a 100-continue expectation (lib/_http_server.js). */
const CONTINUE_EXPECTATION = /(?:^|\W)100-continue(?:$|\W)/i;

export function checkPreconditions(ctx: AppContext): void {
  const { headers } = ctx.req;
  // The hot path: two property reads.
  if (headers.host && headers.expect === undefined) return;
  // HTTP/1.0 needs no Host, and its Expect header must be ignored (RFC 9110, 10.1.1).
  if (ctx.req.httpVersion !== '1.1') return;
  if (!headers.host) throw missingHost();
  if (headers.expect !== undefined && !CONTINUE_EXPECTATION.test(headers.expect)) {
    throw expectationFailed();
  }
}
