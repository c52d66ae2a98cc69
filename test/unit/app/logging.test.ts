// What the app logs: a debug access line per request (only when debug is on), bound to the
// request id; errors at error level (see errors.test.ts for the 500 case).
import { describe, expect, it } from 'vitest';
import { memoryLogger, startApp } from './harness.js';

describe('access log', () => {
  it('logs one debug line per request with the request id, method, path, status and duration', async () => {
    const { logger, lines } = memoryLogger('debug');
    const app = await startApp({ logger });
    try {
      const ok = await fetch(`${app.url}/api/hello?name=x`, {
        headers: { 'x-request-id': 'req-1' },
      });
      await ok.text();
      const missing = await fetch(`${app.url}/nope`, { headers: { 'x-request-id': 'req-2' } });
      await missing.text();
      const access = lines().filter((line) => line.msg === 'request');
      expect(access).toEqual([
        expect.objectContaining({
          level: 20,
          reqId: 'req-1',
          method: 'GET',
          path: '/api/hello',
          status: 200,
        }),
        expect.objectContaining({
          level: 20,
          reqId: 'req-2',
          method: 'GET',
          path: '/nope',
          status: 404,
        }),
      ]);
      for (const line of access) expect(typeof line.durationMs).toBe('number');
    } finally {
      await app.close();
    }
  });

  it('logs nothing per request at info level, and follows a level change at run time', async () => {
    const { logger, lines } = memoryLogger('info');
    const app = await startApp({ logger });
    try {
      for (let i = 0; i < 5; i++) await (await fetch(`${app.url}/healthz`)).text();
      await (await fetch(`${app.url}/api/work?ms=nope`)).text();
      expect(lines()).toEqual([]);
      logger.level = 'debug';
      await (await fetch(`${app.url}/healthz`)).text();
      expect(lines().filter((line) => line.msg === 'request')).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
