// What happens when no route matches both path and method. The router has already recorded the
// layers whose *path* matched: none means 404; some means the path exists and the method is
// wrong, so 405 with the methods that would work (OPTIONS answers with just that list).
// Any method lands here, including TRACE and extension methods like PROPFIND: nothing is ever
// echoed back, and the answer is the same JSON error as for any other wrong method.
import type { AppMiddleware } from './context.js';
import { HttpError, methodNotAllowed } from '../http-errors.js';

/** Methods a path allows, from the router layers that matched it; OPTIONS always works. */
export function allowedMethods(layers: ReadonlyArray<{ methods: readonly string[] }>): string[] {
  const allowed = new Set<string>();
  for (const layer of layers) for (const method of layer.methods) allowed.add(method);
  if (allowed.size === 0) return [];
  allowed.add('OPTIONS');
  return [...allowed].sort();
}

export function routeFallback(): AppMiddleware {
  return (ctx) => {
    const layers = ctx.matched ?? [];
    const allow = allowedMethods(layers);
    if (allow.length === 0) throw new HttpError(404, 'not_found', 'no such route');
    // A known path: label metrics with its template (bounded), not `unmatched`.
    const template = layers.find((layer) => layer.methods.length > 0)?.path;
    if (typeof template === 'string') ctx.state.routeTemplate = template;
    if (ctx.method === 'OPTIONS') {
      ctx.status = 204;
      ctx.set('Allow', allow.join(', '));
      return;
    }
    throw methodNotAllowed(ctx.method, allow);
  };
}
