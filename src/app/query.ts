// The query string as `name -> value | values`, the shape Koa's ctx.query has, parsed in linear
// time. Koa's own parser calls getAll() once per key occurrence, which is quadratic: one query
// of repeated keys (`a=&a=&...`, within Node's header limit) is a cheap way to stall a worker.
// Routes read the query through this instead.
export type Query = Record<string, string | string[]>;

/**
 * The query object's class: its prototype is an empty, frozen object whose own prototype is null,
 * so no key (`__proto__`, `constructor`, `toString`) finds anything inherited and nothing can be
 * polluted. Why not Object.create(null): V8 makes such objects dictionaries, slow to store into.
 */
const QueryObject = function QueryObject() {} as unknown as new () => Query;
QueryObject.prototype = Object.freeze(Object.create(null) as object);

export function parseQuery(querystring: string): Query {
  const query = new QueryObject();
  if (querystring === '') return query;
  for (const [key, value] of new URLSearchParams(querystring)) {
    const existing = query[key];
    if (existing === undefined) query[key] = value;
    else if (typeof existing === 'string') query[key] = [existing, value];
    else existing.push(value);
  }
  return query;
}
