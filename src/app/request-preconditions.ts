// Host and Expect, which Node would answer itself in a bare response before the application sees
// the request: an HTTP/1.1 request without Host (the worker's server runs with requireHostHeader
// off), a 100 Continue inviting a body the API will refuse (413), any other Expect (417). Here
// they reach the application and get its answers; a refusal closes, as Node's own answers do.
import type http from 'node:http';
import type { AppContext } from './context.js';
import { expectationFailed, missingHost } from '../http-errors.js';
import { BODY_LIMIT_BYTES } from './json-body.js';

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

/** The API server's Expect listeners: without them Node answers both kinds itself. */
export function handleExpectations(server: http.Server): void {
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    // No 100 for a body the API will refuse unread (413): the client never starts sending it,
    // and the connection closes after the answer instead of waiting for a body that won't come.
    const oversized = Number(req.headers['content-length']) > BODY_LIMIT_BYTES;
    if (oversized) res.setHeader('Connection', 'close');
    else res.writeContinue();
    server.emit('request', req, res);
  });
  // checkPreconditions answers 417 in the API's shape.
  server.on('checkExpectation', (req, res) => server.emit('request', req, res));
}
