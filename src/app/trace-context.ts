// A request's identity: its request id and W3C Trace Context (https://www.w3.org/TR/trace-context/).
// A caller's ids are honoured only when valid: a plain short request id (it goes into logs
// verbatim), a traceparent's trace id and sampled flag (with a new span id for this request);
// anything else gets new ids, never a 400. The response names them in x-request-id and
// traceresponse (Trace Context Level 2).
import { randomFillSync, randomUUID } from 'node:crypto';
import type { AppContext, AppState } from './context.js';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's id when sane, else a fresh UUID (a repeated header, joined by ", ", is not). */
export function chooseRequestId(incoming: string | undefined): string {
  return incoming !== undefined && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

// Lower-case hex only; a version above 00 may append fields after a dash (the spec's rule for them).
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(?:-|$)/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/** The trace id and sampled bit of a valid traceparent, else undefined. */
export function parseTraceparent(
  value: unknown,
): { traceId: string; parentSpanId: string; traceFlags: number } | undefined {
  if (typeof value !== 'string' || !TRACEPARENT.test(value)) return undefined;
  const version = value.slice(0, 2);
  if (version === 'ff' || (version === '00' && value.length !== 55)) return undefined;
  const traceId = value.slice(3, 35);
  const parentSpanId = value.slice(36, 52);
  if (traceId === ZERO_TRACE_ID || parentSpanId === ZERO_SPAN_ID) return undefined;
  return { traceId, parentSpanId, traceFlags: Number.parseInt(value.slice(53, 55), 16) & 1 };
}

// One member, OWS around it: Level 2's key, then a value of printable ASCII but "," and "=" that
// does not end in a space (at most 256 characters each).
const MEMBER = /^[ \t]*([a-z0-9][a-z0-9_\-*/@]{0,255})=[ -+\--<>-~]{0,255}[!-+\--<>-~][ \t]*$/;
const EMPTY_MEMBER = /^[ \t]*$/;

/**
 * The header when it is within the spec's limits (at most 32 members, each key once, at most 512
 * characters: the length every vendor should propagate), else undefined: dropped whole, not cut.
 */
export function validTracestate(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 512) return undefined;
  const keys = new Set<string>();
  for (const member of value.split(',')) {
    if (EMPTY_MEMBER.test(member)) continue;
    const key = MEMBER.exec(member)?.[1];
    if (key === undefined || keys.has(key)) return undefined;
    keys.add(key);
  }
  return keys.size > 0 && keys.size <= 32 ? value : undefined;
}

// Ids come from a pool filled by one CSPRNG call per 4 KiB: randomBytes() per id would be a Buffer
// and a call into OpenSSL on every request (randomUUID() pools the same way).
const pool = Buffer.alloc(4096);
let used = pool.length;

/** `bytes` random bytes in lower-case hex, never all zeros (an invalid id). */
export function randomHexId(bytes: number): string {
  let id;
  do {
    if (used + bytes > pool.length) {
      randomFillSync(pool);
      used = 0;
    }
    id = pool.toString('hex', used, (used += bytes));
  } while (id === ZERO_TRACE_ID || id === ZERO_SPAN_ID);
  return id;
}

export function assignRequestIds(ctx: AppContext): void {
  // Raw header reads (ctx.get() would lower-case and join, on the hot path); a repeated
  // traceparent arrives joined and fails to parse, a repeated tracestate arrives joined by ", "
  // which is how the spec combines them.
  const { traceparent, tracestate, 'x-request-id': requestId } = ctx.req.headers;
  const state = ctx.state;
  state.requestId = chooseRequestId(typeof requestId === 'string' ? requestId : undefined);
  const parent = parseTraceparent(traceparent);
  state.traceId = parent?.traceId ?? randomHexId(16);
  state.spanId = randomHexId(8);
  state.parentSpanId = parent?.parentSpanId;
  // A trace started here is sampled: our logs and exemplars carry its id, so a backend should
  // keep it (OpenTelemetry's default sampler decides the same for a root span).
  state.traceFlags = parent?.traceFlags ?? 1;
  // The spec forbids reading tracestate when traceparent failed, and a new trace drops it.
  state.tracestate = parent ? validTracestate(tracestate) : undefined;
}

export function traceresponse(state: AppState): string {
  return `00-${state.traceId}-${state.spanId}-0${state.traceFlags}`;
}
