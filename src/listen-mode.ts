// How the workers get the API's connections. `shared`: node:cluster's round-robin, the manager's
// main thread accepts every connection and hands it to a worker over IPC. `reuseport`: every
// worker listens on the API port itself with SO_REUSEPORT and the kernel spreads new connections
// over the listeners, so the manager is off the API's path (docs/architecture.md).

export const LISTEN_MODES = ['shared', 'reuseport'] as const;
export type ListenMode = (typeof LISTEN_MODES)[number];

/** Where the kernel's per-netns switch lives (see tcpMigrateReqAdvice). */
export const TCP_MIGRATE_REQ_PATH = '/proc/sys/net/ipv4/tcp_migrate_req';

/**
 * Why `reuseport` cannot work on `platform`, or undefined when it can: only Linux both has
 * SO_REUSEPORT and spreads connections over the group (macOS accepts the flag but hands every
 * connection to one socket; Windows has neither). Every Node line runtime-check.ts admits has the
 * `reusePort` listen option (22.12+).
 */
export function reusePortProblem(platform: string): string | undefined {
  if (platform === 'linux') return undefined;
  return `needs Linux (SO_REUSEPORT load balancing); this platform is ${platform}`;
}

/**
 * The warning the manager logs at start in reuseport mode about net.ipv4.tcp_migrate_req, or
 * undefined when it is 1. A listener that closes (a draining worker: reload, recycling,
 * scale-down) or dies (SIGKILL, crash) takes the connections waiting in its accept queue with
 * it: the kernel resets them, unless this switch is 1, when it moves them to another listener of
 * the same port. `value` is the file's content, undefined when it could not be read.
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
