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
      metricsThreadNice: 10,
      adminToken: undefined,
      logLevel: 'info',
      workerMaxRequests: undefined,
      workerMaxRssMb: undefined,
    });
    expect(config.heartbeatIntervalMs).toBe(1_000);
    expect(config.metricsCheckpointMs).toBe(5_000);
    expect(loadConfig({ METRICS_CHECKPOINT_MS: '0' }).metricsCheckpointMs).toBe(0);
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
    ['METRICS_CHECKPOINT_MS', '-1'],
    ['METRICS_CHECKPOINT_MS', '99'],
    ['METRICS_THREAD_NICE', '20'],
    ['METRICS_THREAD_NICE', '-5'],
    // Below 1 s no worker finishes booting before it is killed as hung.
    ['WORKER_TIMEOUT_MS', '999'],
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

  describe('METRICS_PORT and PORT', () => {
    it.each([
      ['the same host', { HOST: '127.0.0.1', METRICS_HOST: '127.0.0.1' }],
      ['the API on the IPv4 wildcard', { HOST: '0.0.0.0', METRICS_HOST: '127.0.0.1' }],
      ['the manager on the IPv6 wildcard', { HOST: '127.0.0.1', METRICS_HOST: '::' }],
      ['the defaults for both hosts', {}],
    ])('refuses one port for both on %s, naming both variables', (_name, hosts) => {
      const { HOST = '0.0.0.0', METRICS_HOST = '127.0.0.1' }: Record<string, string> = hosts;
      try {
        loadConfig({ PORT: '9000', METRICS_PORT: '9000', ...hosts });
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).problems).toEqual([
          `METRICS_PORT=9000 is also PORT=9000 on overlapping addresses (HOST=${HOST}, ` +
            `METRICS_HOST=${METRICS_HOST}): give the manager endpoint its own port`,
        ]);
      }
    });

    it('accepts one port number on two distinct addresses', () => {
      const config = loadConfig({
        PORT: '9000',
        METRICS_PORT: '9000',
        HOST: '127.0.0.1',
        METRICS_HOST: '127.0.0.2',
      });
      expect([config.port, config.metricsPort]).toEqual([9000, 9000]);
    });

    it('accepts port 0 (ephemeral) for both: the kernel gives each its own', () => {
      const config = loadConfig({ PORT: '0', METRICS_PORT: '0' });
      expect([config.port, config.metricsPort]).toEqual([0, 0]);
    });
  });

  describe('HOST and METRICS_HOST', () => {
    it.each([
      '0.0.0.0',
      '127.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      'fe80::1%lo',
      '::ffff:127.0.0.1',
      'localhost',
      'localhost.',
      'my-pod-7d9f8-x2x4z',
      'api.internal.example.com',
      'compose_service',
      '3com.example',
      `${'a'.repeat(63)}.example`,
    ])('accepts %s', (host) => {
      expect(
        loadConfig({ HOST: host, METRICS_HOST: host, PORT: '1', METRICS_PORT: '2' }),
      ).toMatchObject({ host, metricsHost: host });
    });

    it.each([
      ['256.1.1.1', /is not a valid IPv4 address/],
      ['999.0.0.1', /is not a valid IPv4 address/],
      ['1.2.3', /is not a valid IPv4 address/],
      ['1.2.3.4.5', /is not a valid IPv4 address/],
      // getaddrinfo reads these as 127.0.0.1 and 8.0.0.1 (octal): never what was meant.
      ['127.1', /is not a valid IPv4 address/],
      ['010.0.0.1', /is not a valid IPv4 address/],
      ['0x7f.0.0.1', /is not a valid IPv4 address/],
      ['2130706433', /is not a valid IPv4 address/],
      ['[::1]', /without brackets/],
      ['::g', /is not a valid IPv6 address/],
      ['1:2:3:4:5:6:7:8:9', /is not a valid IPv6 address/],
      ['-pod', /is neither an IP address nor a hostname/],
      ['pod-', /is neither an IP address nor a hostname/],
      ['a..b', /is neither an IP address nor a hostname/],
      ['host name', /is neither an IP address nor a hostname/],
      ['http://host', /is neither an IP address nor a hostname/],
      ['host:8080', /is neither an IP address nor a hostname/],
      [`${'a'.repeat(64)}.example`, /is neither an IP address nor a hostname/],
      [`${'a.'.repeat(126)}ab`, /is neither an IP address nor a hostname/],
    ])('refuses %s, naming the variable and why', (host, why) => {
      for (const name of ['HOST', 'METRICS_HOST']) {
        try {
          loadConfig({ [name]: host });
          expect.unreachable();
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as ConfigError).problems).toEqual([
            expect.stringContaining(`${name}=${JSON.stringify(host)}: `),
          ]);
          expect((error as ConfigError).problems[0]).toMatch(why);
        }
      }
    });
  });

  describe('secrets', () => {
    it.each([
      ['a trailing newline', 'a-long-enough-admin-token\n'],
      ['a space', 'correct horse battery staple'],
      ['a non-ASCII letter', 'a-long-enough-tokén'],
    ])('refuses an ADMIN_TOKEN with %s, which no Bearer header carries', (_name, token) => {
      try {
        loadConfig({ ADMIN_TOKEN: token });
        expect.unreachable();
      } catch (error) {
        const message = (error as ConfigError).message;
        expect(message).toContain(
          `ADMIN_TOKEN (${token.length} characters): must be visible ASCII`,
        );
        expect(message).not.toContain(token.trim());
      }
    });

    it('says how long a bad ADMIN_TOKEN is, never what it is', () => {
      try {
        loadConfig({ ADMIN_TOKEN: 'hunter2-secret' });
        expect.unreachable();
      } catch (error) {
        const message = (error as ConfigError).message;
        expect(message).toMatch(/ADMIN_TOKEN \(14 characters\): must be at least 16 characters/);
        expect(message).not.toContain('hunter2');
      }
    });

    it('still quotes the value of an ordinary variable', () => {
      expect(() => loadConfig({ WORKERS: 'many' })).toThrow(/WORKERS="many"/);
    });
  });
});

describe('Config derived from the schema', () => {
  it('names every variable in camelCase, with the derived fields beside them', () => {
    const config = loadConfig({ WORKERS: '3', WORKER_MAX_REQUESTS: '1000' });
    expect(Object.keys(config)).toEqual(
      expect.arrayContaining([
        'port',
        'metricsPort',
        'metricsHost',
        'httpHeadersTimeoutMs',
        'httpKeepAliveTimeoutMs',
        'adminToken',
        'logLevel',
        'workerStackWatchdog',
        'shedMaxPoolQueue',
        'shedRetryAfterSeconds',
        'workersSource',
      ]),
    );
    expect(Object.keys(config).every((key) => /^[a-z][a-zA-Z]*$/.test(key))).toBe(true);
    expect(config.workers).toBe(3);
    expect(config.workersSource).toBe('WORKERS');
    expect(config.workerMaxRequestsJitter).toBe(100);
    expect(config.workerStackWatchdog).toBe(true);
  });
});
