// The manager endpoint's limits (connections, concurrent scrapes) and the hung-worker stack
// watchdog switch, as read from the environment.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('manager endpoint limits', () => {
  it('defaults to 100 connections and 10 concurrent scrapes', () => {
    const config = loadConfig({});
    expect(config.metricsMaxConnections).toBe(100);
    expect(config.metricsMaxScrapes).toBe(10);
  });

  it('parses both', () => {
    const config = loadConfig({
      METRICS_MAX_CONNECTIONS: '20',
      METRICS_MAX_SCRAPES: '2',
    });
    expect(config.metricsMaxConnections).toBe(20);
    expect(config.metricsMaxScrapes).toBe(2);
  });

  it.each([
    ['METRICS_MAX_CONNECTIONS', '0'],
    ['METRICS_MAX_CONNECTIONS', 'lots'],
    ['METRICS_MAX_SCRAPES', '0'],
    ['METRICS_MAX_SCRAPES', '1.5'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrowError(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrowError(new RegExp(name));
  });
});

describe('WORKER_STACK_WATCHDOG', () => {
  it('is on by default and off with false', () => {
    expect(loadConfig({}).workerStackWatchdog).toBe(true);
    expect(loadConfig({ WORKER_STACK_WATCHDOG: 'false' }).workerStackWatchdog).toBe(false);
  });

  it('rejects anything but true or false', () => {
    expect(() => loadConfig({ WORKER_STACK_WATCHDOG: 'yes' })).toThrowError(
      /WORKER_STACK_WATCHDOG/,
    );
  });
});
