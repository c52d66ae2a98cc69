// The metrics link's two directions over one stream socket, as newline-delimited JSON
// (json-lines.ts): typed messages in, typed messages out.
import type { Socket } from 'node:net';
import { readJsonLines } from './json-lines.js';

/** A peer that sends this much without a newline is broken: the link is cut, not grown. */
const MAX_LINE_CHARS = 256 * 1024 * 1024;

export class LineSocket<In, Out> {
  constructor(
    readonly socket: Socket,
    accept: (value: unknown) => value is In,
    onMessage: (message: In) => void,
  ) {
    readJsonLines(socket, { maxLineChars: MAX_LINE_CHARS, overlong: 'fail', accept, onMessage });
  }

  /** Queues the message; false when the link is closed (a destroyed socket is not writable). */
  send(message: Out): boolean {
    if (!this.socket.writable) return false;
    this.socket.write(`${JSON.stringify(message)}\n`);
    return true;
  }
}
