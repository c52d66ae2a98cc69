// The query string as `name -> value | values` (Koa's ctx.query shape), parsed in linear time:
// Koa's parser calls getAll() per key occurrence, so `a=&a=&...` is a cheap way to stall a worker.
export type Query = Record<string, string | string[]>;

// Its prototype is frozen, empty and null-prototyped: no key (`__proto__`, `toString`) inherits or
// pollutes anything. Not Object.create(null): V8 makes those dictionaries, slow to store into.
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
