// Headers every response carries, errors included: this is a JSON API, so nothing it sends should
// be sniffed as HTML, framed, cached by a shared cache, or embedded cross-origin. Names are
// lower-case on the wire (field names are case-insensitive): Node indexes a mixed-case name with
// a fresh lower-cased copy per header per request.
import http from 'node:http';
import type { AppContext } from './context.js';

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

const ENTRIES = Object.entries(SECURITY_HEADERS);

/**
 * Set before the rest of the chain runs, and the error handler below never clears headers, so
 * error responses keep them. (Koa's own last-resort handler does clear them, which is why ours
 * must never let an error escape.) A SecureResponse writes them itself.
 */
export function setSecurityHeaders(ctx: AppContext): void {
  if (ctx.res instanceof SecureResponse) return;
  for (const [name, value] of ENTRIES) ctx.res.setHeader(name, value);
}

type StoreHeader = (this: http.ServerResponse, firstLine: string, headers: unknown) => void;

/**
 * Node's OutgoingMessage._storeHeader(firstLine, headers): it turns the status line and the
 * header table into the header block, for writeHead() and the implicit head of write()/end().
 * Internal, yet the same since Node 0.x (checked in Node 20 and 24); if it were gone, the
 * worker's server would not use SecureResponse and the headers would go through setHeader.
 */
const storeHeader = (http.OutgoingMessage.prototype as unknown as { _storeHeader?: StoreHeader })
  ._storeHeader;

/** The header lines, in the table's order: what setHeader would have written for each. */
const LINES = ENTRIES.map(([name, value]) => [name, `${name}: ${value}\r\n`] as const);
const ALL_LINES = LINES.map(([, line]) => line).join('');

/** Lower-case on the wire, like the security headers. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * A response that writes the security headers (and the request id) into its header block as it
 * is made, instead of through setHeader, which validates the name and the value with regular
 * expressions and stores them in a table the head is built from again, on every request. Same
 * lines on the wire (test/unit/app/secure-response.test.ts holds every kind of response to the
 * setHeader path's). A header the application set itself under one of these names, in any case,
 * wins: it is not written twice. 1xx responses never had them.
 */
export class SecureResponse extends http.ServerResponse {
  /**
   * The request's id (request-id.ts), written as x-request-id with the head, like the security
   * headers. Only ever a value chooseRequestId() returned: a UUID or a caller's id of
   * [A-Za-z0-9._:-], nothing that could break a header line.
   */
  requestId: string | undefined = undefined;

  _storeHeader(firstLine: string, headers: unknown): void {
    const listed = listedNames(headers);
    let head = firstLine;
    if (this.requestId !== undefined && listed[REQUEST_ID_HEADER] === undefined) {
      head += `${REQUEST_ID_HEADER}: ${this.requestId}\r\n`;
    }
    // Usually the application set none of them: one precomputed block, not six concatenations.
    if (LINES.some(([name]) => listed[name] !== undefined)) {
      for (const [name, line] of LINES) if (listed[name] === undefined) head += line;
    } else {
      head += ALL_LINES;
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

/** Names looked up in it are never there. */
const NONE: Readonly<Record<string, unknown>> = Object.freeze(Object.create(null));

/**
 * The headers _storeHeader was given, as an object without a prototype whose keys are the
 * lower-case names present (values never undefined): Node's own table as it is (keyed by
 * lower-case name, values [name, value]: the usual case, no copy), else the names of what
 * writeHead() was handed when nothing was set before it: an object, [[name, value], ...] or
 * [name, value, ...].
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
