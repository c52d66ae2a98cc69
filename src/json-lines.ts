// Newline-delimited JSON read from a stream (metrics links, a worker's stack-report pipe);
// JSON.stringify never emits a raw newline, so a line is a message. A partial line is a list of
// chunks joined once (a multi-megabyte line is one concatenation); one over `maxLineChars` is
// dropped whole or fails the stream, as the caller chooses.
import type { Readable } from 'node:stream';

interface JsonLinesOptions<T> {
  maxLineChars: number;
  overlong: 'drop' | 'fail';
  /** Lines that are not JSON, or not this, are ignored. */
  accept: (value: unknown) => value is T;
  onMessage: (message: T) => void;
}

export function readJsonLines<T>(stream: Readable, options: JsonLinesOptions<T>): void {
  const { maxLineChars, overlong, accept, onMessage } = options;
  let pending: string[] = [];
  let pendingChars = 0;
  let skipping = false;
  const emit = (line: string) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return;
    }
    if (accept(value)) onMessage(value);
  };
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    let start = 0;
    for (let end = chunk.indexOf('\n'); end !== -1; end = chunk.indexOf('\n', start)) {
      pending.push(chunk.slice(start, end));
      const line = pending.join('');
      pending = [];
      pendingChars = 0;
      start = end + 1;
      if (skipping) skipping = false;
      else emit(line);
    }
    if (start === chunk.length || skipping) return;
    pending.push(chunk.slice(start));
    pendingChars += chunk.length - start;
    if (pendingChars <= maxLineChars) return;
    pending = [];
    pendingChars = 0;
    if (overlong === 'fail') stream.destroy(new Error(`line over ${maxLineChars} characters`));
    else skipping = true;
  });
}
