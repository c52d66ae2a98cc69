// One HTTP exchange on a fresh TCP connection, written byte for byte: what a hostile or merely
// unusual client sends (no Host, odd Expect headers, broken chunking, many requests at once),
// below the politeness of fetch. Resolves with what the server sent, never rejects.
import net from 'node:net';

export interface RawExchange {
  /** The final status line's code (after any interim 1xx), 0 when nothing came back. */
  status: number;
  /** Interim 1xx status codes seen before the final response. */
  interim: number[];
  headers: Record<string, string>;
  body: string;
  /** Everything the server sent. */
  text: string;
  elapsedMs: number;
  /** True when the server closed or reset the connection (before the deadline). */
  closedByServer: boolean;
}

export interface RawOptions {
  /** Stop waiting after this long (a bound, not an expectation). */
  waitMs?: number;
  /** Resolve once a complete final response is in, instead of waiting for the close. */
  untilResponse?: boolean;
  /** Pause between chunks (a slow sender). */
  gapMs?: number;
  /** Half-close the connection after the last chunk (a client that stops sending). */
  endAfter?: boolean;
}

function parse(text: string, elapsedMs: number, closedByServer: boolean): RawExchange {
  const interim: number[] = [];
  let rest = text;
  // Interim responses (100 Continue) are a status line and headers without a body.
  for (let m = /^HTTP\/1\.1 (1\d\d)[^\r]*\r\n(?:[^\r]+\r\n)*\r\n/.exec(rest); m;) {
    interim.push(Number(m[1]));
    rest = rest.slice(m[0].length);
    m = /^HTTP\/1\.1 (1\d\d)[^\r]*\r\n(?:[^\r]+\r\n)*\r\n/.exec(rest);
  }
  const split = rest.indexOf('\r\n\r\n');
  const head = split === -1 ? rest : rest.slice(0, split);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  return {
    status,
    interim,
    headers,
    body: split === -1 ? '' : rest.slice(split + 4),
    text,
    elapsedMs,
    closedByServer,
  };
}

function complete(text: string): boolean {
  const final = parse(text, 0, false);
  if (final.status === 0 || !text.includes('\r\n\r\n')) return false;
  const length = final.headers['content-length'];
  return length !== undefined && Buffer.byteLength(final.body, 'latin1') >= Number(length);
}

/** Writes `chunks` (one write each, in order) and collects the answer. */
export function rawExchange(
  port: number,
  chunks: ReadonlyArray<string | Buffer>,
  { waitMs = 10_000, untilResponse = true, gapMs = 0, endAfter = false }: RawOptions = {},
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const started = Date.now();
    let text = '';
    let settled = false;
    const finish = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parse(text, Date.now() - started, closedByServer));
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (data: Buffer) => {
      text += data.toString('latin1');
      if (untilResponse && complete(text)) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) return;
        socket.write(chunk);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
      if (endAfter) socket.end();
    });
  });
}
