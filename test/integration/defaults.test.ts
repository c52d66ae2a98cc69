// Security-relevant defaults, checked on the running process rather than in config alone.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startCluster } from '../helpers/cluster.js';

/** Local addresses (hex, as the kernel prints them) listening on `port`, from /proc/net/tcp*. */
function listeners(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [address, localPort] = (fields[1] ?? '').split(':');
      // State 0A is LISTEN.
      if (localPort === hexPort && fields[3] === '0A' && address) found.push(address);
    }
  }
  return found;
}

describe('defaults', () => {
  it('binds the manager endpoint to loopback only unless METRICS_HOST says otherwise', async () => {
    const cluster = await startCluster({ env: { WORKERS: '1' }, unset: ['METRICS_HOST'] });
    try {
      // 0100007F is 127.0.0.1 in /proc/net/tcp's little-endian hex.
      expect(listeners(cluster.metricsPort)).toEqual(['0100007F']);
      expect((await fetch(`${cluster.managerUrl}/healthz`)).status).toBe(200);
    } finally {
      await cluster.stop();
    }
  });

  it('serves the admin endpoints only with ADMIN_TOKEN set (off by default)', async () => {
    const cluster = await startCluster({ env: { WORKERS: '1' }, unset: ['ADMIN_TOKEN'] });
    try {
      const response = await fetch(`${cluster.managerUrl}/reload`, { method: 'POST' });
      expect(response.status).toBe(403);
      expect((await cluster.status()).workers).toHaveLength(1);
    } finally {
      await cluster.stop();
    }
  });
});
