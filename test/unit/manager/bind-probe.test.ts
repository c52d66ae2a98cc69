// The manager's pre-fork probe, on real loopback sockets: what it refuses, and what it leaves to
// the real listen.
import dns from 'node:dns';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { checkBindings, type Lookup } from '../../../src/manager/bind-probe.js';
import { freePort } from '../../../scripts/lib/free-port.js';

async function problems(env: Record<string, string>, lookup?: Lookup): Promise<string[]> {
  const ports = { PORT: String(await freePort()), METRICS_PORT: String(await freePort()) };
  try {
    await checkBindings(
      loadConfig({ HOST: '127.0.0.1', METRICS_HOST: '127.0.0.1', ...ports, ...env }),
      lookup,
    );
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
}

describe('checkBindings', () => {
  it('passes addresses that can be listened on, by IP or by name, and leaves them free', async () => {
    const port = await freePort();
    expect(await problems({ HOST: 'localhost', PORT: String(port) })).toEqual([]);
    // Closed at once: the port is free again for the workers.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    server.close();
  });

  it.each([
    ['HOST', /^HOST="192\.0\.2\.1": is not an address of this machine \(EADDRNOTAVAIL\)$/],
    ['METRICS_HOST', /^METRICS_HOST="192\.0\.2\.1": is not an address of this machine/],
  ])('refuses %s on no interface of this machine', async (name, message) => {
    expect(await problems({ [name]: '192.0.2.1' })).toEqual([expect.stringMatching(message)]);
  });

  it('refuses a hostname that does not resolve', async () => {
    // The resolver's answer for a name it does not know, without asking a DNS server (loopback only).
    const notFound: Lookup = async (host) => {
      if (host !== 'no-such-host.invalid') return dns.promises.lookup(host);
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), {
        code: 'ENOTFOUND',
        syscall: 'getaddrinfo',
      });
    };
    expect(await problems({ HOST: 'no-such-host.invalid' }, notFound)).toEqual([
      expect.stringMatching(/^HOST="no-such-host\.invalid": does not resolve \(ENOTFOUND\)$/),
    ]);
  });

  it('refuses one port for two names of one address', async () => {
    const port = String(await freePort());
    expect(
      await problems({
        HOST: 'localhost',
        METRICS_HOST: '127.0.0.1',
        PORT: port,
        METRICS_PORT: port,
      }),
    ).toEqual([
      `METRICS_PORT=${port} is also PORT=${port} on overlapping addresses (HOST=localhost is ` +
        '127.0.0.1, METRICS_HOST=127.0.0.1 is 127.0.0.1): give the manager endpoint its own port',
    ]);
  });

  it('leaves a port in use to the real listen (its holder may be about to let go)', async () => {
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      expect(await problems({ PORT: String(port) })).toEqual([]);
    } finally {
      blocker.close();
    }
  });
});
