// The manager's reader of a worker's report pipe: whole lines only, bounded, reports only.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { StallReport } from '../../../../src/protocol.js';
import { readStallReports } from '../../../../src/manager/supervision/fork-worker.js';

const report: StallReport = {
  type: 'stall-report',
  stalledMs: 1500,
  frames: ['spin (file:///x.js:1:1)'],
  note: null,
};

async function feed(chunks: string[]): Promise<StallReport[]> {
  const stream = new PassThrough();
  const seen: StallReport[] = [];
  readStallReports(stream, (r) => seen.push(r));
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  await new Promise((resolve) => stream.once('end', resolve));
  return seen;
}

describe('readStallReports', () => {
  it('joins a report split across chunks', async () => {
    const line = `${JSON.stringify(report)}\n`;
    expect(await feed([line.slice(0, 10), line.slice(10)])).toEqual([report]);
  });

  it('ignores garbage and other JSON, keeps the reports around them', async () => {
    const line = JSON.stringify(report);
    const seen = await feed([`not json\n{"type":"heartbeat"}\n${line}\n{"type":"stall-report"}\n`]);
    expect(seen).toEqual([report]);
  });

  it('drops an overlong line whole and reads the next one', async () => {
    const huge = JSON.stringify({ ...report, frames: ['x'.repeat(200_000)] });
    const seen = await feed([
      huge.slice(0, 100_000),
      huge.slice(100_000),
      `\n${JSON.stringify(report)}\n`,
    ]);
    expect(seen).toEqual([report]);
  });
});
