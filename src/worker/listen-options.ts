// The worker's listen() call for the API, per LISTEN_MODE (src/listen-mode.ts).
import type { ListenOptions } from 'node:net';
import type { Config } from '../config.js';

/**
 * shared: node:cluster's round-robin (the manager accepts, hands each connection over IPC).
 * reuseport: a listener of this worker's own (`exclusive`, so cluster asks the manager nothing)
 * in the port's SO_REUSEPORT group; the kernel spreads new connections over the group.
 */
export function listenOptions(config: Pick<Config, 'port' | 'host' | 'listenMode'>): ListenOptions {
  const { port, host } = config;
  return config.listenMode === 'reuseport'
    ? { port, host, reusePort: true, exclusive: true }
    : { port, host };
}
