// The query string as `name -> value | values`, the shape Koa's ctx.query has, parsed in linear
// time. Koa's own parser calls getAll() once per key occurrence, which is quadratic: a single
// 15 kB query of repeated keys (`a=&a=&...`, within Node's header limit) costs ~150 ms of CPU,
// a cheap way to stall a worker. Routes read the query through this instead.
import type { AppContext } from './context.js';

export type Query = Record<string, string | string[]>;

export function parseQuery(querystring: string): Query {
  // No prototype: a key named `__proto__` is just another (ignored) parameter.
  const query = Object.create(null) as Query;
  if (querystring === '') return query;
  for (const [key, value] of new URLSearchParams(querystring)) {
    const existing = query[key];
    if (existing === undefined) query[key] = value;
    else if (typeof existing === 'string') query[key] = [existing, value];
    else existing.push(value);
  }
  return query;
}

export function queryOf(ctx: AppContext): Query {
  return parseQuery(ctx.querystring);
}
