// One HTTP request on its own connection (no pooled sockets left behind to skew descriptor
// counts), with a deadline: past it the request is destroyed and reported as a hang.
import http from 'node:http';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
}

export class Hang extends Error {
  constructor(what: string, deadlineMs: number) {
    super(`${what}: no answer within ${deadlineMs} ms`);
  }
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  deadlineMs: number;
  agent?: http.Agent | false;
}

/** Resolves with the answer; rejects with Hang past the deadline, or the socket's error. */
export function request(url: string, options: RequestOptions): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: options.method ?? 'GET',
      headers: options.headers,
      agent: options.agent ?? false,
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Hang(`${options.method ?? 'GET'} ${url}`, options.deadlineMs));
    }, options.deadlineMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          ms: performance.now() - started,
        });
      });
    });
    req.end(options.body);
  });
}
