// Headers every response carries, errors included: this is a JSON API, so nothing it sends should
// be sniffed as HTML, framed, cached by a shared cache, or embedded cross-origin.
// Names are lower-case, on the wire too: field names are case-insensitive (RFC 9110, 5.1; HTTP/2
// sends only lower-case ones). Node's setHeader indexes every name by name.toLowerCase(), which for
// a mixed-case name allocates a string and looks it up in V8's string table, for each of these
// headers on each request; a lower-case literal comes back as itself. With the request id that was
// ~5% of the instructions of a /api/hello request (npm run bench, row 3b).
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
 * must never let an error escape.)
 */
export function setSecurityHeaders(ctx: AppContext): void {
  for (const [name, value] of ENTRIES) ctx.res.setHeader(name, value);
}
