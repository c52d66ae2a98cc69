// Configuration mistakes an operator makes at 3 a.m. are refused before anything is forked, with
// exit code 2 and a message that names the variables, never a secret.
import { describe, expect, it } from 'vitest';
import { startCluster } from '../helpers/cluster.js';
import { freePort } from '../../scripts/lib/free-port.js';

/** A refused configuration exits at once: long before any worker could have booted and died. */
const REFUSAL_DEADLINE_MS = 5_000;

async function refused(env: Record<string, string>): Promise<{ code: unknown; logs: string }> {
  const started = Date.now();
  const cluster = await startCluster({ env, waitForWorkers: 0 });
  const code = await Promise.race([
    cluster.exited,
    new Promise((resolve) => setTimeout(() => resolve('still running'), REFUSAL_DEADLINE_MS)),
  ]);
  if (code === 'still running') cluster.proc.kill('SIGKILL');
  expect(Date.now() - started).toBeLessThan(REFUSAL_DEADLINE_MS);
  return { code, logs: cluster.logs() };
}

describe('configuration refused at start', () => {
  it.each([
    ['the same host', '127.0.0.1', '127.0.0.1'],
    ['the API on every interface', '0.0.0.0', '127.0.0.1'],
  ])(
    'METRICS_PORT equal to PORT on %s: exit 2 naming both, no worker forked',
    async (_name, host, metricsHost) => {
      const port = String(await freePort());
      const { code, logs } = await refused({
        PORT: port,
        METRICS_PORT: port,
        HOST: host,
        METRICS_HOST: metricsHost,
      });
      expect(code).toBe(2);
      expect(logs).toContain(`METRICS_PORT=${port}`);
      expect(logs).toContain(`PORT=${port}`);
      // Refused before forking: no worker ever logged, no EADDRINUSE crash loop.
      expect(logs).not.toMatch(/"role":"worker"/);
      expect(logs).not.toMatch(/EADDRINUSE|giving up/);
    },
  );

  it('a bad ADMIN_TOKEN: exit 2 saying its length, never its value', async () => {
    const token = 'sekret-but-short';
    const { code, logs } = await refused({ ADMIN_TOKEN: token.slice(0, 12) });
    expect(code).toBe(2);
    expect(logs).toMatch(/ADMIN_TOKEN \(12 characters\): must be at least 16 characters/);
    expect(logs).not.toContain(token.slice(0, 12));
    expect(logs).not.toContain('sekret');
  });
});
