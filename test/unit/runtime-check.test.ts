import { describe, expect, it } from 'vitest';
import { isSupportedNode } from '../../src/runtime-check.js';

describe('the supported Node.js lines', () => {
  it.each([
    ['v22.12.0', true],
    ['22.23.5', true],
    ['v24.0.0', true],
    ['v26.12.1', true],
    ['v28.0.0', true],
    ['v22.11.0', false],
    ['v20.20.2', false],
    ['v23.11.0', false],
    ['v25.2.0', false],
    ['v18.20.0', false],
  ])('%s: %s', (version, supported) => {
    expect(isSupportedNode(version)).toBe(supported);
  });
});
