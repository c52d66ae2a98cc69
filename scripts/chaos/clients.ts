// The clients of a chaos run, polite and hostile. Each is one bounded operation: it resolves by
// itself, and what it must get (an answer, or its connection closed) it must get before its
// deadline, or the run records a `client-hang` violation and cuts it off.
import http from 'node:http';
import type net from 'node:net';
import { Hang, request } from './http.js';
import type { Ledger } from './ledger.js';
import { closed, connect, countResponses, get, sleep } from './sockets.js';

export interface Target {
  apiPort: number;
  managerPort: number;
  ledger: Ledger;
  /** How long any answer may take (requests held by a stopped worker included). */
  clientDeadlineMs: number;
}

export type ApiCall = 'hello' | 'delay' | 'work' | 'hash' | 'root';

const CALLS: Record<ApiCall, { path: string; method?: string; body?: string }> = {
  hello: { path: '/api/hello?name=chaos' },
  delay: { path: '/api/delay?ms=150' },
  work: { path: '/api/work?ms=10' },
  hash: { path: '/api/hash', method: 'POST', body: '{"input":"chaos","iterations":2000}' },
  root: { path: '/' },
};

function hung(target: Target, what: string, detail: string): void {
  target.ledger.violate('client-hang', `${what}: ${detail}`);
}

/** Requests over keep-alive connections or one connection each; every one answered or closed. */
export async function normalLoad(
  target: Target,
  calls: ApiCall[],
  keepAlive: boolean,
  concurrency: number,
): Promise<void> {
  const agent = keepAlive ? new http.Agent({ keepAlive: true, maxSockets: concurrency }) : false;
  let next = 0;
  const lane = async () => {
    while (next < calls.length) {
      const call = CALLS[calls[next++]!];
      try {
        const answer = await request(`http://127.0.0.1:${target.apiPort}${call.path}`, {
          method: call.method ?? 'GET',
          headers: call.body ? { 'content-type': 'application/json' } : {},
          body: call.body,
          deadlineMs: target.clientDeadlineMs,
          agent,
        });
        if (answer.status >= 500 && answer.status !== 503) {
          target.ledger.violate(
            'server-error',
            `${call.path} answered ${answer.status}: ${answer.body.slice(0, 200)}`,
          );
        }
      } catch (error) {
        // A connection closed under a request (its worker killed) is an end; silence is not.
        if (error instanceof Hang) hung(target, 'normal load', error.message);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  if (agent) agent.destroy();
}

/** Pipelines requests that take a while, then drops the connection before their answers. */
export async function pipelinedDestroy(
  target: Target,
  count: number,
  destroyAfterMs: number,
): Promise<void> {
  const socket = await connect(target.apiPort);
  socket.write(Array.from({ length: count }, () => get('/api/delay?ms=300')).join(''));
  await sleep(destroyAfterMs);
  socket.destroy();
}

/** Pipelines requests and never reads an answer; drops the connection after `holdMs`. */
export async function neverReading(target: Target, count: number, holdMs: number): Promise<void> {
  const socket = await connect(target.apiPort);
  socket.pause();
  socket.write(Array.from({ length: count }, () => get('/api/hello')).join(''));
  await sleep(holdMs);
  socket.destroy();
}

/** Sends a request and half-closes (FIN); the answer, or the server's close, must still come. */
export async function halfOpen(target: Target, path: string): Promise<void> {
  const socket = await connect(target.apiPort);
  let text = '';
  const done = new Promise<boolean>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (countResponses(text) >= 1) resolve(true);
    });
    socket.once('close', () => resolve(true));
    setTimeout(() => resolve(false), target.clientDeadlineMs);
  });
  socket.end(get(path));
  if (!(await done))
    hung(
      target,
      `half-open GET ${path}`,
      `neither an answer nor a close within ${target.clientDeadlineMs} ms`,
    );
  socket.destroy();
}

/** Reads pipelined answers a little at a time; all must arrive (or the connection close). */
export async function slowReader(target: Target, count: number, gapMs: number): Promise<void> {
  const socket = await connect(target.apiPort);
  socket.pause();
  socket.write(Array.from({ length: count }, () => get('/api/hello')).join(''));
  const deadline = Date.now() + target.clientDeadlineMs;
  let text = '';
  while (!socket.destroyed && countResponses(text) < count && Date.now() < deadline) {
    await sleep(gapMs);
    // read(n) answers null while fewer than n bytes wait, so ask for what is there (at most 256).
    const waiting = socket.readableLength;
    const chunk =
      waiting > 0 ? (socket.read(Math.min(256, waiting)) as Buffer | null) : socket.read(0);
    if (chunk) text += chunk.toString('latin1');
    else if (socket.readableEnded) break;
  }
  const got = countResponses(text);
  if (got < count && !socket.destroyed && !socket.readableEnded && Date.now() >= deadline) {
    hung(
      target,
      `slow reader of ${count} pipelined`,
      `${got} answers and no close within ${target.clientDeadlineMs} ms`,
    );
  }
  socket.destroy();
}

/** POST /api/hash announcing `declared` bytes, sends fewer, then drops the connection. */
export async function abortedUpload(
  target: Target,
  declared: number,
  sent: number,
  destroyAfterMs: number,
): Promise<void> {
  const socket = await connect(target.apiPort);
  const head =
    'POST /api/hash HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
    `Content-Length: ${declared}\r\n\r\n`;
  socket.write(head + `{"input":"${'a'.repeat(Math.max(0, Math.min(sent, declared) - 10))}`);
  await sleep(destroyAfterMs);
  socket.destroy();
}

/** Opens `count` connections that send nothing, holds them `holdMs`, drops them. */
export async function idleFlood(port: number, count: number, holdMs: number): Promise<void> {
  const sockets: net.Socket[] = [];
  try {
    for (let i = 0; i < count; i += 25) {
      const batch = await Promise.allSettled(
        Array.from({ length: Math.min(25, count - i) }, () => connect(port)),
      );
      for (const result of batch) if (result.status === 'fulfilled') sockets.push(result.value);
    }
    await sleep(holdMs);
  } finally {
    for (const socket of sockets) socket.destroy();
    await Promise.all(sockets.map(closed));
  }
}

/** A scrape of the manager's /metrics as Prometheus sends it; must be 200 within its timeout. */
export async function scrape(
  target: Target,
  timeoutSeconds: number,
  openMetrics: boolean,
): Promise<void> {
  const accept = openMetrics
    ? 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5'
    : 'text/plain;version=0.0.4';
  const what = `scrape (X-Prometheus-Scrape-Timeout-Seconds: ${timeoutSeconds}, ${openMetrics ? 'OpenMetrics' : 'text'})`;
  const started = Date.now();
  const deadlineMs = Math.round(timeoutSeconds * 1000) + 3_000;
  try {
    const answer = await request(`http://127.0.0.1:${target.managerPort}/metrics`, {
      headers: { accept, 'x-prometheus-scrape-timeout-seconds': String(timeoutSeconds) },
      deadlineMs,
    });
    if (answer.status !== 200 && !target.ledger.managerStoppedDuring(started, Date.now())) {
      target.ledger.violate(
        'scrape-answered',
        `${what} answered ${answer.status}: ${answer.body.slice(0, 200)}`,
      );
    }
  } catch (error) {
    if (target.ledger.managerStoppedDuring(started, Date.now())) return;
    if (error instanceof Hang) hung(target, what, error.message);
    else target.ledger.violate('scrape-answered', `${what} failed: ${(error as Error).message}`);
  }
}
