// Headers every response carries, errors included: this JSON API's security headers and the
// request's ids (x-request-id, traceresponse). Names are lower-case on the wire (field names are
// case-insensitive): Node indexes a mixed-case name with a fresh lower-cased copy per request.
import http from 'node:http';
import type { AppContext, AppState } from './context.js';
import { traceresponse } from './trace-context.js';

// Nothing the API sends should be sniffed as HTML, framed, cached by a shared cache, or embedded
// cross-origin.
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  // Answers depend on the worker, the moment and the caller's input: never reuse them.
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  // A JSON response needs no sub-resources at all; frame-ancestors is X-Frame-Options' modern form.
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

export const REQUEST_ID_HEADER = 'x-request-id';

const ENTRIES = Object.entries(SECURITY_HEADERS);

// Before the rest of the chain: error responses keep them, as our error handler never lets an
// error reach Koa's, which clears them. A SecureResponse writes them itself, from the state.
export function setResponseHeaders(ctx: AppContext): void {
  const { res, state } = ctx;
  if (res instanceof SecureResponse) {
    res.state = state;
    return;
  }
  res.setHeader(REQUEST_ID_HEADER, state.requestId);
  for (const [name, value] of ENTRIES) res.setHeader(name, value);
  res.setHeader('traceresponse', traceresponse(state));
}

type StoreHeader = (this: http.ServerResponse, firstLine: string, headers: unknown) => void;

// Node's internal OutgoingMessage._storeHeader(firstLine, headers), the same since Node 0.x, builds
// the header block. Were it gone, the server would not use SecureResponse (setHeader instead).
const storeHeader = (http.OutgoingMessage.prototype as unknown as { _storeHeader?: StoreHeader })
  ._storeHeader;

const LINES = ENTRIES.map(([name, value]) => [name, `${name}: ${value}\r\n`] as const);
const ALL_LINES = LINES.map(([, line]) => line).join('');

/**
 * Writes these headers into its header block as it is made, sparing setHeader's regular
 * expressions and table on every request; same lines on the wire (secure-response.test.ts). A
 * header the application set itself under one of these names, in any case, wins.
 */
export class SecureResponse extends http.ServerResponse {
  // Its ids are only ever values chooseRequestId() and trace-context.ts made (a UUID, a caller's
  // id of [A-Za-z0-9._:-], hex): nothing that could break a header line.
  state: AppState | undefined = undefined;

  _storeHeader(firstLine: string, headers: unknown): void {
    const listed = listedNames(headers);
    let head = firstLine;
    if (this.state !== undefined && listed[REQUEST_ID_HEADER] === undefined) {
      head += `${REQUEST_ID_HEADER}: ${this.state.requestId}\r\n`;
    }
    // Usually the application set none of them: one precomputed block, not six concatenations.
    if (LINES.some(([name]) => listed[name] !== undefined)) {
      for (const [name, line] of LINES) if (listed[name] === undefined) head += line;
    } else {
      head += ALL_LINES;
    }
    if (this.state !== undefined && listed.traceresponse === undefined) {
      head += `traceresponse: ${traceresponse(this.state)}\r\n`;
    }
    storeHeader!.call(this, head, headers);
  }
}

/** SecureResponse where this Node has the method it builds on, else undefined (use setHeader). */
export const secureResponseClass: typeof http.ServerResponse | undefined =
  // The typings' constructor is generic in the request type; this one serves IncomingMessage.
  typeof storeHeader === 'function'
    ? (SecureResponse as unknown as typeof http.ServerResponse)
    : undefined;

const NONE: Readonly<Record<string, unknown>> = Object.freeze(Object.create(null));

/**
 * The lower-case names in what _storeHeader was given, as keys of an object without a prototype:
 * Node's own table as it is (the usual case, no copy), else what writeHead() was handed when
 * nothing was set before it: an object, [[name, value], ...] or [name, value, ...].
 */
function listedNames(headers: unknown): Readonly<Record<string, unknown>> {
  if (headers === null || typeof headers !== 'object') return NONE;
  if (!Array.isArray(headers) && Object.getPrototypeOf(headers) === null) {
    return headers as Record<string, unknown>;
  }
  const keys: unknown[] = !Array.isArray(headers)
    ? Object.keys(headers)
    : Array.isArray(headers[0])
      ? headers.map((pair) => (pair as unknown[])[0])
      : headers.filter((_, i) => i % 2 === 0);
  const names: Record<string, unknown> = Object.create(null);
  for (const key of keys) names[String(key).toLowerCase()] = true;
  return names;
}
