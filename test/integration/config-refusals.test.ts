// Configuration mistakes an operator makes at 3 a.m. are refused before anything is forked, with
// exit code 2 and a message that names the variables, never a secret.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startCluster, type StartOptions } from '../helpers/cluster.js';
import { freePort } from '../../scripts/lib/free-port.js';

/** Only bounds a run that was not refused (the base code crash-loops for a few seconds). */
const REFUSAL_DEADLINE_MS = 30_000;

async function refused(
  env: Record<string, string>,
  options: Pick<StartOptions, 'withoutPrivilegedPorts'> = {},
): Promise<{ code: unknown; logs: string }> {
  const cluster = await startCluster({ env, waitForWorkers: 0, ...options });
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    cluster.exited,
    new Promise(
      (resolve) => (timer = setTimeout(() => resolve('still running'), REFUSAL_DEADLINE_MS)),
    ),
  ]);
  clearTimeout(timer);
  if (code === 'still running') cluster.proc.kill('SIGKILL');
  return { code, logs: cluster.logs() };
}

/** Refused by the manager before its first fork: no worker ever logged, none crash-looped. */
function expectNoWorkerForked(logs: string): void {
  expect(logs).not.toMatch(/worker forked|"role":"worker"/);
  expect(logs).not.toMatch(/giving up/);
}

/** The lowest port a user without CAP_NET_BIND_SERVICE may listen on (Linux). */
function unprivilegedPortStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
  } catch {
    return 1024;
  }
}

describe('configuration refused at start', () => {
  it.each([
    ['the same host', '127.0.0.1', '127.0.0.1'],
    ['the API on every interface', '0.0.0.0', '127.0.0.1'],
    // Equal only once resolved: the manager compares the addresses it probed.
    ['two names of one address', 'localhost', '127.0.0.1'],
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
      expectNoWorkerForked(logs);
      expect(logs).not.toMatch(/EADDRINUSE/);
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

  it('an ADMIN_TOKEN no Authorization header can carry: exit 2 naming it, never its value', async () => {
    // A secret file's trailing newline: every admin call would have answered 401.
    const token = 'a-long-enough-admin-token\n';
    const { code, logs } = await refused({ ADMIN_TOKEN: token });
    expect(code).toBe(2);
    expect(logs).toMatch(/ADMIN_TOKEN \(26 characters\): must be visible ASCII characters only/);
    expect(logs).not.toContain('a-long-enough');
    expectNoWorkerForked(logs);
  });

  it('a WORKER_TIMEOUT_MS shorter than any boot: exit 2 naming it, no worker forked', async () => {
    const { code, logs } = await refused({
      WORKER_TIMEOUT_MS: '500',
      HEARTBEAT_INTERVAL_MS: '100',
    });
    expect(code).toBe(2);
    expect(logs).toMatch(/WORKER_TIMEOUT_MS="500": Too small: expected number to be >=1000/);
    expectNoWorkerForked(logs);
  });

  it.each([
    ['HOST', '256.1.1.1', /is not a valid IPv4 address/],
    ['HOST', '1.2.3', /is not a valid IPv4 address/],
    ['METRICS_HOST', '999.0.0.1', /is not a valid IPv4 address/],
    ['HOST', 'bad_host-.example', /is neither an IP address nor a hostname/],
    // TEST-NET-1 (RFC 5737): a valid address that is on no interface of this machine.
    ['HOST', '192.0.2.1', /is not an address of this machine \(EADDRNOTAVAIL\)/],
    ['METRICS_HOST', '192.0.2.1', /is not an address of this machine \(EADDRNOTAVAIL\)/],
    // A name that does not resolve: test/unit/manager/bind-probe.test.ts, without asking a DNS server.
  ])('%s=%s: exit 2 naming the variable and why, no worker forked', async (name, value, why) => {
    const { code, logs } = await refused({ [name]: value });
    expect(code).toBe(2);
    expect(logs).toContain(`${name}=${JSON.stringify(value)}: `);
    expect(logs).toMatch(why);
    expectNoWorkerForked(logs);
  });

  it('a PORT this user may not listen on: exit 2 naming PORT, no worker forked', async () => {
    const port = unprivilegedPortStart() - 1;
    if (port < 1) throw new Error('every port is unprivileged on this machine: no EACCES to test');
    // Root may listen anywhere: the cluster then runs without that capability.
    const { code, logs } = await refused({ PORT: String(port) }, { withoutPrivilegedPorts: true });
    expect(code).toBe(2);
    expect(logs).toMatch(new RegExp(`PORT=${port}: this user may not listen on it \\(EACCES`));
    expectNoWorkerForked(logs);
  });
});
