// Request ids: one per request, echoed back, bound to every log line about the request. A caller's
// id (e.g. from a proxy) is kept so logs can be joined across services, but only when it is
// short and plain: a header value goes into logs verbatim, and newlines or megabytes must not.
import { randomUUID } from 'node:crypto';
import type { AppContext } from './context.js';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's id when it is sane, else a fresh UUID. A repeated header arrives joined by ", " and is replaced. */
export function chooseRequestId(incoming: string | undefined): string {
  return incoming !== undefined && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

export function assignRequestId(ctx: AppContext): void {
  // Raw header read: ctx.get() lower-cases and joins too, but this is the hot path.
  const header = ctx.req.headers['x-request-id'];
  ctx.state.requestId = chooseRequestId(typeof header === 'string' ? header : undefined);
}
