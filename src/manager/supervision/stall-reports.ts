// Reads a worker's report pipe (fork-worker.ts): JSON lines from its stack watchdog. Bounded: a
// line over MAX_LINE_CHARS is dropped whole, anything that is not a report is ignored.
import type { Readable } from 'node:stream';
import { readJsonLines } from '../../json-lines.js';
import { isStallReport, type StallReport } from '../../protocol.js';

const MAX_LINE_CHARS = 64 * 1024;

export function readStallReports(stream: Readable, onReport: (report: StallReport) => void): void {
  readJsonLines(stream, {
    maxLineChars: MAX_LINE_CHARS,
    overlong: 'drop',
    accept: isStallReport,
    onMessage: onReport,
  });
  // The pipe breaks when the worker dies; there is nothing left to read then.
  stream.on('error', () => undefined);
}
