// Before any fork, the manager listens for a moment on each address it and its workers will use,
// so a bad hostname, a foreign address or a forbidden port is refused as configuration (exit 2)
// instead of a crash loop. A port in use is left to the real listen: its holder may be draining.
import dns from 'node:dns';
import { once } from 'node:events';
import net from 'node:net';
import { ConfigError, portsClashProblem, type Config } from '../config.js';

// `prefix` names the variables: `${prefix}HOST`, `${prefix}PORT`.
type Endpoint = { prefix: string; host: string; port: number };

/** Resolves a host name as net.Server's listen() does (dns.lookup, its first address). */
export type Lookup = (host: string) => Promise<{ address: string }>;

/** The address listened on, or undefined after adding to `problems` why not (if it says why). */
async function probe(e: Endpoint, lookup: Lookup, problems: string[]): Promise<string | undefined> {
  const server = net.createServer();
  try {
    const { address } = await lookup(e.host);
    // Rejects if the server emits 'error' before it listens.
    await once(server.listen(e.port, address), 'listening');
    return (server.address() as net.AddressInfo).address;
  } catch (error) {
    const problem = problemOf(e, error as NodeJS.ErrnoException);
    if (problem !== undefined) problems.push(problem);
    return undefined;
  } finally {
    if (server.listening) server.close();
  }
}

/** Undefined when the failure is not the configuration's fault. */
function problemOf(e: Endpoint, error: NodeJS.ErrnoException): string | undefined {
  const host = `${e.prefix}HOST=${JSON.stringify(e.host)}`;
  const port = `${e.prefix}PORT=${e.port}`;
  if (error.syscall === 'getaddrinfo') return `${host}: does not resolve (${error.code})`;
  switch (error.code) {
    case 'EADDRINUSE':
      return undefined;
    case 'EADDRNOTAVAIL':
      return `${host}: is not an address of this machine (EADDRNOTAVAIL)`;
    case 'EAFNOSUPPORT':
      return `${host}: its address family is not available here (EAFNOSUPPORT)`;
    case 'EACCES':
      return (
        `${port}: this user may not listen on it (EACCES; below ` +
        `net.ipv4.ip_unprivileged_port_start, 1024 by default, needs CAP_NET_BIND_SERVICE)`
      );
    default:
      return `${host}, ${port}: cannot listen (${error.code ?? error.message})`;
  }
}

/** Throws ConfigError naming each variable whose address cannot be listened on. */
export async function checkBindings(
  config: Config,
  lookup: Lookup = (host) => dns.promises.lookup(host),
): Promise<void> {
  const problems: string[] = [];
  // One after the other, each closed before the next: together they would clash on a shared port.
  const api = await probe({ prefix: '', host: config.host, port: config.port }, lookup, problems);
  const metrics = { prefix: 'METRICS_', host: config.metricsHost, port: config.metricsPort };
  const manager = await probe(metrics, lookup, problems);
  // Two names of one address (localhost and 127.0.0.1): config.ts compared the names only.
  if (api !== undefined && manager !== undefined) {
    const clash = portsClashProblem(config, { api, manager });
    if (clash !== undefined) problems.push(clash);
  }
  if (problems.length > 0) throw new ConfigError(problems);
}
