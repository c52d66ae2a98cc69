// The collection deadline fitted to the scraper's own timeout, and the main thread's share of it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lateCallMarginMs } from '../../../../src/manager/thread/main-thread-calls.js';
import {
  collectTimeoutMs,
  MIN_COLLECT_MS,
  renderMarginMs,
} from '../../../../src/manager/endpoint/scrape-request.js';

describe('collectTimeoutMs', () => {
  it('uses the configured deadline without a usable header', () => {
    for (const header of [undefined, '', 'abc', '0', '-1', 'Infinity', 'NaN']) {
      expect(collectTimeoutMs(2_000, header)).toBe(2_000);
    }
  });

  it('fits a 1 s Prometheus scrape timeout, leaving room to merge and render', () => {
    expect(collectTimeoutMs(2_000, '1')).toBe(750);
    expect(collectTimeoutMs(2_000, ['1', '5'])).toBe(750);
    expect(collectTimeoutMs(2_000, '10')).toBe(2_000);
    expect(collectTimeoutMs(300, '10')).toBe(300);
  });

  it('takes the shortest usable value of a repeated header (Node joins them with ", ")', () => {
    expect(collectTimeoutMs(2_000, '5, 1')).toBe(750);
    expect(collectTimeoutMs(2_000, '1,5')).toBe(750);
    expect(collectTimeoutMs(2_000, 'abc, 1')).toBe(750);
    expect(collectTimeoutMs(2_000, ['5', '1'])).toBe(750);
    expect(collectTimeoutMs(2_000, '0, -1, ')).toBe(2_000);
  });

  it('never exceeds the configured deadline nor the scraper’s timeout minus the margin', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 60_000 }),
        fc.double({ min: 0.001, max: 600, noNaN: true }),
        (configured, seconds) => {
          const ms = collectTimeoutMs(configured, String(seconds));
          const scrapeMs = seconds * 1000;
          expect(ms).toBeLessThanOrEqual(configured);
          expect(ms).toBeGreaterThanOrEqual(Math.min(configured, MIN_COLLECT_MS));
          if (ms > MIN_COLLECT_MS) {
            expect(ms + renderMarginMs(scrapeMs)).toBeLessThanOrEqual(scrapeMs);
          }
        },
      ),
    );
  });

  it('leaves the main thread most of every collection deadline to read its metrics', () => {
    // Prometheus' smallest sensible timeouts: 330 ms used to leave the read a 247 ms deadline
    // and a 250 ms late-call margin, so it was never run.
    for (const seconds of ['0.1', '0.25', '0.33', '1', '10']) {
      const deadline = collectTimeoutMs(2_000, seconds);
      expect(deadline - lateCallMarginMs(deadline)).toBeGreaterThanOrEqual(deadline * 0.75);
    }
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60_000 }), (deadline) => {
        const margin = lateCallMarginMs(deadline);
        expect(margin).toBeGreaterThanOrEqual(0);
        expect(margin).toBeLessThanOrEqual(250);
        expect(deadline - margin).toBeGreaterThanOrEqual(deadline * 0.75);
      }),
    );
  });
});
