// Raw TCP connections for the hostile clients, each bounded: every one resolves by itself.
import net from 'node:net';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Connects to 127.0.0.1:port; rejects on error or after `deadlineMs`. */
export function connect(port: number, deadlineMs = 5_000): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${port}: no connection within ${deadlineMs} ms`));
    }, deadlineMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.on('error', () => {});
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Resolves when the socket has closed (at once if it already has). */
export function closed(socket: net.Socket): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

export function get(path: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
}

/** Complete HTTP/1.1 responses (with Content-Length) at the start of `text`. */
export function countResponses(text: string): number {
  let count = 0;
  let rest = text;
  for (;;) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd === -1) return count;
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(rest.slice(0, headEnd))?.[1];
    const end = headEnd + 4 + Number(length ?? 0);
    if (Buffer.byteLength(rest, 'latin1') < end) return count;
    count += 1;
    rest = rest.slice(end);
  }
}
