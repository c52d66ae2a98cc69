// The load runner's command line, its loopback-only rule and its pass/fail logic, in-process.
import { describe, expect, it } from 'vitest';
import {
  ArgsError,
  evaluateThresholds,
  helpText,
  isLoopbackHost,
  loopbackOrigin,
  parseArgs,
  parseDuration,
  resolveOptions,
  TargetError,
  type CliOptions,
  type RunFigures,
} from '../../scripts/load/index.js';

function options(argv: string[], env: NodeJS.ProcessEnv = {}): CliOptions {
  const parsed = parseArgs(argv, env);
  if (parsed.help) throw new Error('unexpected --help');
  return parsed.options;
}

function argsError(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    parseArgs(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ArgsError);
    return (error as Error).message;
  }
  throw new Error(`parseArgs(${JSON.stringify(argv)}) did not throw`);
}

describe('parseArgs', () => {
  it('defaults to the load scenario against the local API and manager', () => {
    expect(options([])).toEqual({
      scenario: 'load',
      url: 'http://127.0.0.1:8080',
      managerUrl: 'http://127.0.0.1:9464',
      json: false,
    });
  });

  it('parses every flag', () => {
    expect(
      options([
        '--scenario',
        'reload',
        '--url',
        'http://localhost:18080',
        '--manager-url',
        'http://127.0.0.1:19464',
        '--admin-token',
        'secret-token-0123456789',
        '--duration',
        '10',
        '--connections',
        '16',
        '--rate',
        '300',
        '--max-error-rate',
        '0',
        '--max-p99-ms',
        '250.5',
        '--timeout',
        '5',
        '--json',
      ]),
    ).toEqual({
      scenario: 'reload',
      url: 'http://localhost:18080',
      managerUrl: 'http://127.0.0.1:19464',
      adminToken: 'secret-token-0123456789',
      durationSec: 10,
      connections: 16,
      rate: 300,
      maxErrorRate: 0,
      maxP99Ms: 250.5,
      timeoutSec: 5,
      json: true,
    });
  });

  it('accepts -s, = syntax, "off" for the p99 limit and durations with units', () => {
    const o = options(['-s', 'soak', '--duration=2m', '--max-p99-ms', 'off']);
    expect(o.scenario).toBe('soak');
    expect(o.durationSec).toBe(120);
    expect(o.maxP99Ms).toBeNull();
  });

  it('takes URLs and the admin token from the environment when not given', () => {
    const o = options(['--scenario', 'reload'], {
      BASE_URL: 'http://127.0.0.2:8081',
      MANAGER_URL: 'http://[::1]:9465',
      ADMIN_TOKEN: 'env-token-0123456789',
    });
    expect(o).toMatchObject({
      url: 'http://127.0.0.2:8081',
      managerUrl: 'http://[::1]:9465',
      adminToken: 'env-token-0123456789',
    });
  });

  it('flags win over the environment', () => {
    const o = options(['--url', 'http://localhost:1'], { BASE_URL: 'http://127.0.0.1:2' });
    expect(o.url).toBe('http://localhost:1');
  });

  it('returns help for --help and -h, and the help names every scenario and flag', () => {
    expect(parseArgs(['--help'])).toEqual({ help: true });
    expect(parseArgs(['-h'])).toEqual({ help: true });
    const text = helpText();
    for (const word of ['smoke', 'load', 'stress', 'spike', 'soak', 'reload']) {
      expect(text).toContain(word);
    }
    for (const flag of ['--url', '--manager-url', '--admin-token', '--duration', '--connections']) {
      expect(text).toContain(flag);
    }
    expect(text).toContain('--max-error-rate');
    expect(text).toContain('--max-p99-ms');
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'.*--help/],
    [['stray'], /Unexpected argument 'stray'/],
    [['--scenario', 'nope'], /--scenario "nope": expected one of smoke, load, stress/],
    [['--connections', 'abc'], /--connections "abc": expected a whole number/],
    [['--connections', '2.5'], /--connections "2.5": expected a whole number/],
    [['--connections', '0'], /--connections must be an integer from 1/],
    [['--connections', '5000'], /--connections must be an integer from 1 to 1000/],
    [['--rate=-1'], /--rate "-1": expected a whole number/],
    [['--rate', '-1'], /Option '--rate' argument is ambiguous/],
    [['--duration', '5x'], /--duration "5x": expected seconds or 45s, 2m, 1h/],
    [['--duration', '0'], /--duration must be from 1 to/],
    [['--duration', '5h'], /--duration must be from 1 to 14400 seconds/],
    [['--max-error-rate', '2'], /--max-error-rate must be from 0 to 1/],
    [['--max-error-rate', 'none'], /--max-error-rate "none": expected a number/],
    [['--max-p99-ms', '0'], /--max-p99-ms must be a positive number/],
    [['--scenario', 'stress', '--rate', '100'], /--rate does not apply to stress/],
    [['--scenario', 'reload'], /reload scenario needs the admin token/],
  ])('rejects %j with a clear message', (argv, message) => {
    expect(argsError(argv)).toMatch(message);
  });

  it.each([
    'http://example.com:8080',
    'http://10.0.0.1:8080',
    'http://192.168.1.10',
    'http://0.0.0.0:8080',
    'http://[fe80::1]:8080',
    'http://localhost.example.com',
    'http://127.0.0.1.nip.io',
  ])('refuses the non-loopback target %s', (url) => {
    expect(argsError(['--url', url])).toMatch(/refusing to send load to .*only targets loopback/);
    expect(argsError(['--manager-url', url])).toMatch(/--manager-url .*refusing/);
  });

  it('refuses URLs with a path, a query or another protocol', () => {
    expect(argsError(['--url', 'http://127.0.0.1:8080/api'])).toMatch(/origin only/);
    expect(argsError(['--url', 'http://127.0.0.1:8080/?x=1'])).toMatch(/origin only/);
    expect(argsError(['--url', 'ftp://127.0.0.1'])).toMatch(/only http/);
    expect(argsError(['--url', 'not a url'])).toMatch(/is not a URL/);
  });
});

describe('parseDuration', () => {
  it.each([
    ['30', 30],
    ['30s', 30],
    ['1.5m', 90],
    ['2m', 120],
    ['1h', 3600],
    ['2.5', 2.5],
  ])('%s -> %d s', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });
  it('leaves an absent value absent', () => expect(parseDuration(undefined)).toBeUndefined());
});

describe('loopback rule', () => {
  it.each(['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '[::1]', '::1', '[::ffff:7f00:1]'])(
    '%s is loopback',
    (host) => expect(isLoopbackHost(host)).toBe(true),
  );
  it.each([
    '0.0.0.0',
    '10.0.0.1',
    '128.0.0.1',
    'example.com',
    'localhost.example.com',
    '[::2]',
    '',
  ])('%s is not loopback', (host) => expect(isLoopbackHost(host)).toBe(false));
  it('normalises the origin and throws TargetError otherwise', () => {
    expect(loopbackOrigin('http://127.1:8080/', '--url')).toBe('http://127.0.0.1:8080');
    expect(() => loopbackOrigin('http://example.com', '--url')).toThrow(TargetError);
  });
  it('applies to programmatic callers too', () => {
    expect(() => resolveOptions({ scenario: 'smoke', url: 'http://example.com' })).toThrow(
      /refusing to send load to example.com/,
    );
  });
});

describe('evaluateThresholds', () => {
  const good: RunFigures = { requests: 1000, responses: 1000, failures: 0, p99Ms: 20 };
  const verdict = (figures: RunFigures, maxErrorRate = 0.001, maxP99Ms: number | null = 500) =>
    Object.fromEntries(
      evaluateThresholds(figures, { maxErrorRate, maxP99Ms }).map((t) => [t.name, t.ok]),
    );

  it('passes a clean run', () => {
    expect(verdict(good)).toEqual({ responses: true, 'error rate': true, 'p99 latency': true });
  });

  it('limits are inclusive: a rate exactly at the limit passes, above fails', () => {
    expect(verdict({ ...good, failures: 1 })['error rate']).toBe(true); // 0.001 <= 0.001
    expect(verdict({ ...good, failures: 2 })['error rate']).toBe(false);
    expect(verdict({ ...good, p99Ms: 500 })['p99 latency']).toBe(true);
    expect(verdict({ ...good, p99Ms: 500.1 })['p99 latency']).toBe(false);
  });

  it('a limit of 0 tolerates not one failure', () => {
    expect(verdict({ ...good, failures: 0 }, 0)['error rate']).toBe(true);
    expect(verdict({ ...good, failures: 1 }, 0)['error rate']).toBe(false);
  });

  it('skips the latency check when the limit is null', () => {
    expect(verdict({ ...good, p99Ms: 9999 }, 0.001, null)).not.toHaveProperty('p99 latency');
  });

  it('fails a run that got no responses at all', () => {
    const v = verdict({ requests: 500, responses: 0, failures: 500, p99Ms: 0 });
    expect(v).toEqual({ responses: false, 'error rate': false, 'p99 latency': false });
    expect(verdict({ requests: 0, responses: 0, failures: 0, p99Ms: 0 })['error rate']).toBe(false);
  });

  it('reload runs also need the reload accepted and completed', () => {
    const run = (accepted: boolean, completed: boolean) =>
      verdict({ ...good, reload: { accepted, completed } }, 0);
    expect(run(true, true)).toMatchObject({ 'reload accepted': true, 'reload completed': true });
    expect(run(true, false)).toMatchObject({ 'reload accepted': true, 'reload completed': false });
    expect(run(false, false)).toMatchObject({ 'reload accepted': false });
  });

  it('says what it compared', () => {
    const [, rate] = evaluateThresholds(
      { ...good, failures: 3 },
      { maxErrorRate: 0, maxP99Ms: 500 },
    );
    expect(rate?.detail).toBe('0.0030 (3/1000) <= 0');
  });
});
