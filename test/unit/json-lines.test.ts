// The newline-delimited JSON reader behind the metrics links and the stack-report pipe.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readJsonLines } from '../../src/json-lines.js';

const isNumber = (value: unknown): value is number => typeof value === 'number';

describe('readJsonLines', () => {
  it('delivers whole lines across chunks, skipping what is not JSON or not accepted', async () => {
    const stream = new PassThrough();
    const seen: number[] = [];
    readJsonLines(stream, {
      maxLineChars: 100,
      overlong: 'drop',
      accept: isNumber,
      onMessage: (n) => seen.push(n),
    });
    for (const chunk of ['1', '2\n"x"\nnot json\n\n3', '\n4\n']) stream.write(chunk);
    stream.end();
    await new Promise((resolve) => stream.once('end', resolve));
    expect(seen).toEqual([12, 3, 4]);
  });

  it('fails the stream on an overlong line when asked to', async () => {
    const stream = new PassThrough();
    const seen: number[] = [];
    readJsonLines(stream, {
      maxLineChars: 10,
      overlong: 'fail',
      accept: isNumber,
      onMessage: (n) => seen.push(n),
    });
    const failed = new Promise<Error>((resolve) => stream.once('error', resolve));
    stream.write('1\n');
    stream.write('1'.repeat(11));
    expect((await failed).message).toMatch(/over 10 characters/);
    expect(seen).toEqual([1]);
  });
});
