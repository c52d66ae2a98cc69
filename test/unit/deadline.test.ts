import { afterEach, describe, expect, it, vi } from 'vitest';
import { withDeadline } from '../../src/deadline.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('withDeadline', () => {
  it("is the promise's value when it settles first, and leaves no timer behind", async () => {
    vi.useFakeTimers();
    const value = withDeadline(Promise.resolve('answered'), 1_000, 'late');
    await expect(value).resolves.toBe('answered');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('is the fallback once the deadline passes first', async () => {
    vi.useFakeTimers();
    const value = withDeadline(new Promise<string>(() => undefined), 1_000, 'late');
    await vi.advanceTimersByTimeAsync(999);
    let settled = false;
    void value.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await expect(value).resolves.toBe('late');
    expect(vi.getTimerCount()).toBe(0);
  });

  it("passes the promise's rejection on, and clears the timer", async () => {
    vi.useFakeTimers();
    const value = withDeadline(Promise.reject(new Error('broken')), 1_000, 'late');
    await expect(value).rejects.toThrow('broken');
    expect(vi.getTimerCount()).toBe(0);
  });
});
