// Reads a worker's report pipe (fork-worker.ts): JSON lines from its stack watchdog. Bounded: a
// line over MAX_LINE_CHARS is dropped whole, anything that is not a report is ignored.
import type { Readable } from 'node:stream';
import { isStallReport, type StallReport } from '../protocol.js';

const MAX_LINE_CHARS = 64 * 1024;

export function readStallReports(stream: Readable, onReport: (report: StallReport) => void): void {
  stream.setEncoding('utf8');
  let pending = '';
  let overlong = false;
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (!overlong) parse(line, onReport);
      overlong = false;
      newline = pending.indexOf('\n');
    }
    if (pending.length > MAX_LINE_CHARS) {
      pending = '';
      overlong = true;
    }
  });
  // The pipe breaks when the worker dies; there is nothing left to read then.
  stream.on('error', () => undefined);
}

function parse(line: string, onReport: (report: StallReport) => void): void {
  try {
    const value: unknown = JSON.parse(line);
    if (isStallReport(value)) onReport(value);
  } catch {
    // Not ours to judge: a worker writes only reports here.
  }
}
