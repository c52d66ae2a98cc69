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
  it.each([
    ['linux', '22.12.0'],
    ['linux', '22.23.5'],
    ['linux', '23.1.0'],
    ['linux', '24.0.0'],
    ['linux', 'v26.12.1'],
  ])('accepts %s with Node %s', (platform, version) => {
    expect(reusePortProblem(platform, version)).toBeUndefined();
  });

  it.each([
    ['linux', '22.11.0', /Node\.js 22\.12\+ or 23\.1\+.*22\.11\.0/],
    ['linux', '23.0.0', /Node\.js 22\.12\+ or 23\.1\+/],
    ['linux', '20.19.0', /Node\.js 22\.12\+ or 23\.1\+/],
    ['darwin', '24.0.0', /needs Linux.*darwin/],
    ['win32', '24.0.0', /needs Linux.*win32/],
  ])('refuses %s with Node %s', (platform, version, message) => {
    expect(reusePortProblem(platform, version)).toMatch(message);
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
