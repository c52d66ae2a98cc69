// How the workers get the API's connections. `shared`: node:cluster's round-robin, the manager's
// main thread accepts every connection and hands it to a worker over IPC. `reuseport`: every
// worker listens on the API port itself with SO_REUSEPORT and the kernel spreads new connections
// over the listeners, so the manager is off the API's path (docs/architecture.md).

export const LISTEN_MODES = ['shared', 'reuseport'] as const;
export type ListenMode = (typeof LISTEN_MODES)[number];

export const TCP_MIGRATE_REQ_PATH = '/proc/sys/net/ipv4/tcp_migrate_req';

// Only Linux both has SO_REUSEPORT and spreads connections over the group (macOS hands them all to
// one socket; Windows has neither). Every Node line runtime-check.ts admits has `reusePort`.
export function reusePortProblem(platform: string): string | undefined {
  if (platform === 'linux') return undefined;
  return `needs Linux (SO_REUSEPORT load balancing); this platform is ${platform}`;
}

/**
 * A listener that closes (drain) or dies takes the connections in its accept queue with it (the
 * kernel resets them) unless net.ipv4.tcp_migrate_req is 1. `value`: the file, if readable.
 */
export function tcpMigrateReqWarning(value: string | undefined): string | undefined {
  if (value?.trim() === '1') return undefined;
  const seen = value === undefined ? ' unreadable' : `=${value.trim()}`;
  return (
    `net.ipv4.tcp_migrate_req${seen}: a reload, recycling, scale-down or a killed worker can ` +
    'reset the connections queued at that worker; set it to 1 in this network namespace ' +
    '(docs/reference.md, LISTEN_MODE)'
  );
}
