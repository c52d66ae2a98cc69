import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { defaultWorkerCount } from '../../src/cpu-limit.js';

describe('loadConfig', () => {
  it('uses the documented defaults on an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      metricsPort: 9464,
      metricsHost: '127.0.0.1',
      workers: defaultWorkerCount(64).workers,
      workerTimeoutMs: 30_000,
      shutdownTimeoutMs: 10_000,
      metricsCollectTimeoutMs: 2_000,
      adminToken: undefined,
      logLevel: 'info',
      workerMaxRequests: undefined,
      workerMaxRssMb: undefined,
    });
    expect(config.heartbeatIntervalMs).toBe(1_000);
  });

  it('parses every variable', () => {
    const config = loadConfig({
      PORT: '3000',
      WORKERS: '3',
      ADMIN_TOKEN: 'x'.repeat(20),
      LOG_LEVEL: 'debug',
      WORKER_MAX_REQUESTS: '1000',
      WORKER_TIMEOUT_MS: '2000',
    });
    expect(config.port).toBe(3000);
    expect(config.workers).toBe(3);
    expect(config.adminToken).toBe('x'.repeat(20));
    expect(config.logLevel).toBe('debug');
    expect(config.workerMaxRequests).toBe(1000);
    expect(config.workerMaxRequestsJitter).toBe(100);
    expect(config.heartbeatIntervalMs).toBe(500);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['WORKERS', '0'],
    ['WORKERS', '1.5'],
    ['LOG_LEVEL', 'loud'],
    ['ADMIN_TOKEN', 'short'],
    ['METRICS_COLLECT_TIMEOUT_MS', '-1'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrowError(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrowError(new RegExp(name));
  });

  it('reports every bad variable at once', () => {
    try {
      loadConfig({ PORT: 'x', WORKERS: 'y' });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems).toHaveLength(2);
    }
  });

  it('rejects a heartbeat that does not fit the hang timeout', () => {
    expect(() => loadConfig({ WORKER_TIMEOUT_MS: '1000', HEARTBEAT_INTERVAL_MS: '900' })).toThrow(
      /HEARTBEAT_INTERVAL_MS/,
    );
  });
});
