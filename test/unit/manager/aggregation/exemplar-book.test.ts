import { describe, expect, it } from 'vitest';
import { ExemplarBook } from '../../../../src/manager/aggregation/exemplar-book.js';
import {
  EXEMPLAR_LABELS_MAX_CHARS,
  type SampleExemplar,
} from '../../../../src/metrics/exemplars.js';

const FAMILY = 'http_request_duration_seconds';
const utf8 = new TextEncoder();
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

const FAMILY_TEXT = [
  `# HELP ${FAMILY} Duration.`,
  `# TYPE ${FAMILY} histogram`,
  `${FAMILY}_bucket{le="0.1",route="/a"} 1`,
  `${FAMILY}_bucket{le="+Inf",route="/a"} 2`,
  `${FAMILY}_sum{route="/a"} 0.35`,
  `${FAMILY}_count{route="/a"} 2`,
].join('\n');

function report(le: number | string, traceId: string, timestampMs: number): SampleExemplar {
  return {
    family: FAMILY,
    metricName: `${FAMILY}_bucket`,
    labels: { le, route: '/a' },
    exemplar: { labels: { trace_id: traceId }, value: 0.05, timestampMs },
  };
}

describe('ExemplarBook', () => {
  it('appends the newest exemplar of each bucket after its value, and nothing elsewhere', () => {
    const book = new ExemplarBook();
    book.add([report(0.1, 'a'.repeat(32), 1_000), report('+Inf', 'c'.repeat(32), 1_500)]);
    book.add([report(0.1, 'b'.repeat(32), 2_000), report(0.1, 'd'.repeat(32), 1_999)]);
    const lines = text(book.annotate(FAMILY, utf8.encode(FAMILY_TEXT))).split('\n');
    expect(lines[2]).toBe(
      `${FAMILY}_bucket{le="0.1",route="/a"} 1 # {trace_id="${'b'.repeat(32)}"} 0.05 2`,
    );
    expect(lines[3]).toBe(
      `${FAMILY}_bucket{le="+Inf",route="/a"} 2 # {trace_id="${'c'.repeat(32)}"} 0.05 1.5`,
    );
    expect(lines.slice(4)).toEqual(FAMILY_TEXT.split('\n').slice(4));
  });

  it('leaves families without exemplars as they are (the same bytes)', () => {
    const book = new ExemplarBook();
    book.add([report(0.1, 'a'.repeat(32), 1)]);
    const bytes = utf8.encode('# HELP other x\n# TYPE other counter\nother_total 1');
    expect(book.annotate('other', bytes)).toBe(bytes);
  });

  it('drops label sets over 128 code points and reports that are not exemplars', () => {
    const book = new ExemplarBook();
    const atLimit = 'x'.repeat(EXEMPLAR_LABELS_MAX_CHARS - 'trace_id'.length);
    book.add([
      report(0.1, `${atLimit}y`, 5),
      { ...report('+Inf', 'e'.repeat(32), 5), exemplar: { labels: {}, value: Number.NaN } },
      'garbage',
      null,
    ]);
    book.add({ not: 'a list' });
    expect(text(book.annotate(FAMILY, utf8.encode(FAMILY_TEXT)))).toBe(FAMILY_TEXT);
    book.add([report(0.1, atLimit, 5)]);
    expect(text(book.annotate(FAMILY, utf8.encode(FAMILY_TEXT)))).toContain(atLimit);
  });
});
