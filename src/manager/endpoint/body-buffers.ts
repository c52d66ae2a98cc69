// The metrics thread's buffers for scrape bodies, reused once a response has gone out. A new
// buffer per scrape is external memory to V8, which answers it with full mark-compacts; reused,
// the heap stays quiet.

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

  /** A buffer whose response is done with it. The newest are kept; the oldest are let go. */
  giveBack(buffer: ArrayBuffer): void {
    if (buffer.byteLength === 0) return; // nothing to reuse
    this.free.unshift(buffer);
    this.free.length = Math.min(this.free.length, this.keep);
  }

  /** Buffers held for reuse (for tests). */
  get held(): number {
    return this.free.length;
  }
}
