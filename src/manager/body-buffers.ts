// The metrics thread's buffers for scrape bodies. A body travels to the main thread as a
// transferred ArrayBuffer, and the main thread gives it back once the response has gone out.
// Without the return trip, every scrape left a 1.7 MB buffer for the main thread's garbage
// collector: V8 counts it as external memory and answered with full mark-compacts of the main
// thread's heap (measured at 20 scrapes/s: one every 0.2-0.4 s, 4-5 ms plus incremental steps of
// up to 8 ms), the thread that accepts every API connection.

/** A body needs at least this much; a buffer this much larger than that is not worth holding. */
const SLACK_FACTOR = 2;
const SLACK_BYTES = 64 * 1024;
/** A new buffer has room to grow: a document a few series longer reuses it. */
const HEADROOM = 1.25;

export class BodyBuffers {
  private free: ArrayBuffer[] = [];

  /** @param keep how many given-back buffers to hold (overlapping scrapes each need one). */
  constructor(private readonly keep = 2) {}

  /** Bytes for a body of this length: a given-back buffer that fits well, or a new one. */
  take(byteLength: number): Uint8Array {
    const fits = (buffer: ArrayBuffer) =>
      buffer.byteLength >= byteLength &&
      buffer.byteLength <= byteLength * SLACK_FACTOR + SLACK_BYTES;
    const index = this.free.findIndex(fits);
    if (index >= 0) {
      const [buffer] = this.free.splice(index, 1);
      return new Uint8Array(buffer!, 0, byteLength);
    }
    return new Uint8Array(new ArrayBuffer(Math.ceil(byteLength * HEADROOM)), 0, byteLength);
  }

  /** A buffer the main thread is done with. The newest are kept; the oldest are let go. */
  giveBack(buffer: ArrayBuffer): void {
    if (buffer.byteLength === 0) return; // detached: nothing to reuse
    this.free.unshift(buffer);
    this.free.length = Math.min(this.free.length, this.keep);
  }

  /** Buffers held for reuse (for tests). */
  get held(): number {
    return this.free.length;
  }
}
