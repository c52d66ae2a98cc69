import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { reusePortProblem, tcpMigrateReqWarning } from '../../src/listen-mode.js';
import { listenOptions } from '../../src/worker/listen-options.js';

const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};

describe('LISTEN_MODE', () => {
  it('is shared unless set, and takes reuseport with a fixed port', () => {
    expect(loadConfig({}).listenMode).toBe('shared');
    expect(loadConfig({ LISTEN_MODE: 'reuseport', PORT: '8080' }).listenMode).toBe('reuseport');
  });

  it('refuses another value, naming the variable', () => {
    expect(problems({ LISTEN_MODE: 'round-robin' }).join('\n')).toMatch(
      /^LISTEN_MODE="round-robin": /,
    );
  });

  it('refuses reuseport with PORT=0: every worker would get a port of its own', () => {
    expect(problems({ LISTEN_MODE: 'reuseport', PORT: '0' })).toEqual([
      expect.stringMatching(/^LISTEN_MODE="reuseport": needs a fixed PORT/),
    ]);
    expect(problems({ LISTEN_MODE: 'shared', PORT: '0' })).toEqual([]);
  });
});

describe('reusePortProblem', () => {
  it('accepts Linux', () => {
    expect(reusePortProblem('linux')).toBeUndefined();
  });

  it.each([
    ['darwin', /needs Linux.*darwin/],
    ['win32', /needs Linux.*win32/],
  ])('refuses %s', (platform, message) => {
    expect(reusePortProblem(platform)).toMatch(message);
  });
});

describe('tcpMigrateReqWarning', () => {
  it('says nothing when queued connections migrate (1)', () => {
    expect(tcpMigrateReqWarning('1\n')).toBeUndefined();
  });

  it.each([
    ['0\n', /tcp_migrate_req=0: .*reset the connections queued/],
    [undefined, /tcp_migrate_req unreadable: .*reset/],
  ])('warns for %j', (value, message) => {
    expect(tcpMigrateReqWarning(value)).toMatch(message);
  });
});

describe('listenOptions', () => {
  const base = { port: 8080, host: '127.0.0.1' };

  it('shared: a plain listen, which node:cluster routes through the manager', () => {
    expect(listenOptions({ ...base, listenMode: 'shared' })).toEqual(base);
  });

  it("reuseport: the worker's own socket in the port's SO_REUSEPORT group", () => {
    expect(listenOptions({ ...base, listenMode: 'reuseport' })).toEqual({
      ...base,
      reusePort: true,
      exclusive: true,
    });
  });
});
