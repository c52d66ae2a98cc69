import { describe, expect, it } from 'vitest';
import { duplicateKeys } from '../helpers/strict-json.js';

describe('duplicateKeys', () => {
  it.each([
    ['{"level":"info","msg":"x","level":"debug"}', ['level']],
    ['{"a":{"b":1,"b":2},"c":[{"d":1},{"d":2}]}', ['b']],
    ['{"a":"has \\"a\\": inside","b":["a","a"]}', []],
    ['{"a":1,"b":{"a":2}}', []],
    ['[{"x":1,"y":2,"x":3}]', ['x']],
  ])('%s -> %j', (json, expected) => {
    JSON.parse(json);
    expect(duplicateKeys(json)).toEqual(expected);
  });
});
