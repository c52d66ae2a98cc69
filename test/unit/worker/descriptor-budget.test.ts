import { describe, expect, it } from 'vitest';
import {
  connectionBudget,
  openFilesLimit,
  ownConnectionBudget,
  RESERVED_DESCRIPTORS,
} from '../../../src/worker/descriptor-budget.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 1048576              files
Max locked memory         8388608              8388608              bytes
`;

describe('descriptor budget', () => {
  it('reads the soft open-files limit', () => {
    expect(openFilesLimit(LIMITS)).toBe(1024);
    expect(openFilesLimit(LIMITS.replace('1024   ', 'unlimited'))).toBeUndefined();
    expect(openFilesLimit('nothing here')).toBeUndefined();
  });

  it('keeps the reserve and what is open now free, never below one connection', () => {
    expect(connectionBudget(1024, 30)).toBe(1024 - 30 - RESERVED_DESCRIPTORS);
    expect(connectionBudget(256, 26)).toBe(256 - 26 - 64);
    expect(connectionBudget(50, 26)).toBe(1);
    expect(connectionBudget(undefined, 26)).toBeUndefined();
  });

  it('reads this process own budget on Linux', () => {
    const budget = ownConnectionBudget();
    if (process.platform !== 'linux') return expect(budget).toBeUndefined();
    expect(budget).toBeGreaterThan(0);
  });
});
