// Headers every response carries, errors included: this is a JSON API, so nothing it sends should
// be sniffed as HTML, framed, cached by a shared cache, or embedded cross-origin.
import type { AppContext } from './context.js';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  // Answers depend on the worker, the moment and the caller's input: never reuse them.
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
  // A JSON response needs no sub-resources at all; frame-ancestors is X-Frame-Options' modern form.
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
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
