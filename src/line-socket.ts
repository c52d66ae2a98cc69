// Newline-delimited JSON over a stream socket: the framing of the metrics link between a worker
// and the manager's metrics thread. JSON.stringify never emits a raw newline, so one line is one
// message. Partial lines are kept as a list of chunks and joined once, so a multi-megabyte reply
// costs one concatenation, not one per chunk.
import type { Socket } from 'node:net';

/** A peer that sends this much without a newline is broken: the link is cut, not grown. */
const MAX_LINE_CHARS = 256 * 1024 * 1024;

export class LineSocket<In, Out> {
  private pending: string[] = [];
  private pendingChars = 0;

  constructor(
    readonly socket: Socket,
    private readonly accept: (value: unknown) => value is In,
    onMessage: (message: In) => void,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      let start = 0;
      for (let end = chunk.indexOf('\n'); end !== -1; end = chunk.indexOf('\n', start)) {
        this.pending.push(chunk.slice(start, end));
        const line = this.pending.join('');
        this.pending = [];
        this.pendingChars = 0;
        start = end + 1;
        const message = this.parse(line);
        if (message !== undefined) onMessage(message);
      }
      if (start < chunk.length) {
        this.pending.push(chunk.slice(start));
        this.pendingChars += chunk.length - start;
        if (this.pendingChars > MAX_LINE_CHARS)
          socket.destroy(new Error('metrics link line too long'));
      }
    });
  }

  get open(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }

  /** Queues the message; false when the link is closed. `flushed` runs once it is written. */
  send(message: Out, flushed?: (error?: Error | null) => void): boolean {
    if (!this.open) return false;
    this.socket.write(`${JSON.stringify(message)}\n`, flushed);
    return true;
  }

  private parse(line: string): In | undefined {
    if (line === '') return undefined;
    try {
      const value: unknown = JSON.parse(line);
      return this.accept(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }
}
