// Environment -> one typed, validated config object. Both sides of the cluster read the same
// variables, so a bad value fails the manager at start instead of every worker at fork time.
import * as z from './zod.js';
import { defaultWorkerCount } from './cpu-limit.js';
import { hostSyntaxProblem } from './host-syntax.js';
import { LISTEN_MODES, reusePortProblem } from './listen-mode.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Upper bound for WORKERS and POST /scale: far above any sane core count, low enough to stop typos. */
export const MAX_WORKERS = 64;

// An empty variable counts as unset.
const emptyAsUnset = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);

// The pipes nest as classic zod's `.trim().regex().transform(Number).pipe(number)` built them, so
// the same issues come out in the same order (the manager prints them all at exit 2).
const int = (min: number, max: number) =>
  z.pipe(
    z.pipe(
      z.string().check(z.trim(), z.regex(/^-?\d+$/, 'must be an integer')),
      z.transform(Number),
    ),
    z.number().check(z.int(), z.gte(min), z.lte(max)),
  );

const optionalInt = (min: number, max: number) =>
  z.pipe(
    z.pipe(z.optional(z.string().check(z.trim())), z.transform(emptyAsUnset)),
    z.optional(int(min, max)),
  );

const MIN_CHECKPOINT_MS = 100;

const host = z.string().check(
  z.trim(),
  z.minLength(1, 'must not be empty'),
  z.superRefine((value, ctx) => {
    const problem = value === '' ? undefined : hostSyntaxProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: value });
  }),
);

// Visible ASCII only: `Authorization: Bearer <token>` carries no spaces or controls (a secret
// file's trailing newline is the usual one), so such a token would make every admin call a 401.
const adminToken = z
  .string()
  .check(
    z.minLength(16, 'must be at least 16 characters when set'),
    z.regex(/^[\x21-\x7e]*$/, 'must be visible ASCII characters only: no spaces or newlines'),
  );

const schema = z.object({
  PORT: z._default(int(0, 65535), 8080),
  HOST: z._default(host, '0.0.0.0'),
  // Round-robin through the manager, or every worker on the port itself (src/listen-mode.ts).
  LISTEN_MODE: z._default(z.enum(LISTEN_MODES), 'shared'),
  METRICS_PORT: z._default(int(0, 65535), 9464),
  METRICS_HOST: z._default(host, '127.0.0.1'),
  WORKERS: optionalInt(1, MAX_WORKERS),
  // It bounds a worker's boot too: below 1 s every boot races the deadline, and the cluster
  // flaps or gives up on a "crash loop".
  WORKER_TIMEOUT_MS: z._default(int(1_000, 3_600_000), 30_000),
  HEARTBEAT_INTERVAL_MS: optionalInt(50, 60_000),
  SHUTDOWN_TIMEOUT_MS: z._default(int(100, 3_600_000), 10_000),
  METRICS_COLLECT_TIMEOUT_MS: z._default(int(50, 60_000), 2_000),
  METRICS_CHECKPOINT_MS: z._default(int(0, 3_600_000), 5_000),
  ADMIN_TOKEN: z.pipe(
    z.pipe(z.optional(z.string()), z.transform(emptyAsUnset)),
    z.optional(adminToken),
  ),
  LOG_LEVEL: z._default(z.enum(LOG_LEVELS), 'info'),
  WORKER_MAX_REQUESTS: optionalInt(1, Number.MAX_SAFE_INTEGER),
  WORKER_MAX_REQUESTS_JITTER: optionalInt(0, Number.MAX_SAFE_INTEGER),
  WORKER_MAX_RSS_MB: optionalInt(1, 1_048_576),
  RESTART_BACKOFF_BASE_MS: z._default(int(0, 60_000), 100),
  RESTART_BACKOFF_MAX_MS: z._default(int(0, 600_000), 10_000),
  CRASH_LOOP_LIMIT: z._default(int(1, 1000), 5),
  WORKER_MIN_UPTIME_MS: z._default(int(0, 3_600_000), 5_000),
  HTTP_HEADERS_TIMEOUT_MS: z._default(int(1_000, 600_000), 10_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z._default(int(100, 600_000), 5_000),
  // An API connection older than this gets `Connection: close` on its next response, so
  // keep-alive clients spread over workers added since they connected; 0: no limit.
  HTTP_CONNECTION_MAX_AGE_MS: z._default(int(0, 86_400_000), 30_000),
  METRICS_MAX_CONNECTIONS: z._default(int(1, 100_000), 100),
  METRICS_MAX_SCRAPES: z._default(int(1, 1_000), 10),
  METRICS_THREAD_NICE: z._default(int(0, 19), 10),
  WORKER_STACK_WATCHDOG: z.pipe(
    z._default(z.enum(['true', 'false']), 'true'),
    z.transform((v: 'true' | 'false') => v === 'true'),
  ),
  SERVICE_NAME: z._default(z.string().check(z.trim(), z.minLength(1)), 'koa-cluster-service'),
  // Load shedding (src/app/load-shedding.ts); 0 turns a limit off. The defaults shed nothing
  // under the k6 `load` scenario (docs/reliability.md).
  SHED_EVENT_LOOP_DELAY_MS: z._default(int(0, 600_000), 1_000),
  SHED_MAX_IN_FLIGHT: z._default(int(0, 1_000_000), 1_000),
  SHED_MAX_POOL_QUEUE: z._default(int(0, 1_000_000), 8),
  SHED_RETRY_AFTER_SECONDS: z._default(int(1, 3_600), 1),
});

/** `WORKER_TIMEOUT_MS` -> `workerTimeoutMs`: the config's names are the variables' names. */
type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Lowercase<Head>}${Capitalize<CamelCase<Tail>>}`
  : Lowercase<S>;

function camelCase(name: string): string {
  return name.toLowerCase().replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

type Env = z.output<typeof schema>;
type FromEnv = { [K in keyof Env & string as CamelCase<K>]: Env[K] };

/** The validated configuration: every variable under its camelCase name, plus what is derived. */
export type Config = ReturnType<typeof loadConfig>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** A value as an error names it: quoted, or only its length for a secret (logs are shared). */
function describeValue(name: string, value: string | undefined): string {
  if (name === 'ADMIN_TOKEN') return `${name} (${value?.length ?? 0} characters)`;
  return `${name}=${JSON.stringify(value)}`;
}

/** Addresses that listen on every interface of their family (IPv6 `::` takes IPv4 too). */
const WILDCARD_HOSTS: ReadonlySet<string> = new Set(['0.0.0.0', '::', '[::]', '::0']);

/**
 * What is wrong when the API and the manager endpoint would bind the same socket: every worker
 * would die with EADDRINUSE, a "crash loop" that is really a configuration error. Two zeros never
 * clash. `resolved`: the addresses the hosts resolved to, compared instead once they are known.
 */
export function portsClashProblem(
  c: { port: number; host: string; metricsPort: number; metricsHost: string },
  resolved?: { api: string; manager: string },
): string | undefined {
  if (c.port === 0 || c.port !== c.metricsPort) return undefined;
  const api = (resolved?.api ?? c.host).toLowerCase();
  const manager = (resolved?.manager ?? c.metricsHost).toLowerCase();
  if (api !== manager && !WILDCARD_HOSTS.has(api) && !WILDCARD_HOSTS.has(manager)) return undefined;
  const hosts = resolved
    ? `HOST=${c.host} is ${resolved.api}, METRICS_HOST=${c.metricsHost} is ${resolved.manager}`
    : `HOST=${c.host}, METRICS_HOST=${c.metricsHost}`;
  return (
    `METRICS_PORT=${c.metricsPort} is also PORT=${c.port} on overlapping addresses (${hosts}): ` +
    'give the manager endpoint its own port'
  );
}

/** Reads the environment; throws ConfigError naming every bad variable and why. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const picked: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) picked[key] = env[key];
  const parsed = schema.safeParse(picked);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map(
        (issue) =>
          `${describeValue(issue.path.join('.'), picked[String(issue.path[0])])}: ${issue.message}`,
      ),
    );
  }
  const e = parsed.data;
  const fromEnv = Object.fromEntries(
    Object.entries(e).map(([name, value]) => [camelCase(name), value]),
  ) as FromEnv;
  const problems: string[] = [];
  if (e.RESTART_BACKOFF_MAX_MS < e.RESTART_BACKOFF_BASE_MS) {
    problems.push('RESTART_BACKOFF_MAX_MS must be >= RESTART_BACKOFF_BASE_MS');
  }
  // Every checkpoint makes every worker read its registry: a few milliseconds apart would keep
  // them at it. 0 turns checkpoints off.
  if (e.METRICS_CHECKPOINT_MS > 0 && e.METRICS_CHECKPOINT_MS < MIN_CHECKPOINT_MS) {
    problems.push(
      `${describeValue('METRICS_CHECKPOINT_MS', picked.METRICS_CHECKPOINT_MS)}: ` +
        `must be 0 (off) or at least ${MIN_CHECKPOINT_MS}`,
    );
  }
  if (e.LISTEN_MODE === 'reuseport') {
    const unsupported = reusePortProblem(process.platform);
    if (unsupported !== undefined) problems.push(`LISTEN_MODE="reuseport": ${unsupported}`);
    // Each worker's own listen on port 0 would get a port of its own: no group, no one API port.
    if (e.PORT === 0) {
      problems.push('LISTEN_MODE="reuseport": needs a fixed PORT (0 gives every worker its own)');
    }
  }
  const clash = portsClashProblem(fromEnv);
  if (clash !== undefined) problems.push(clash);
  // A heartbeat must fit several times into the hang timeout, or healthy workers look hung.
  const heartbeatIntervalMs =
    e.HEARTBEAT_INTERVAL_MS ?? Math.max(50, Math.min(1000, Math.floor(e.WORKER_TIMEOUT_MS / 4)));
  if (heartbeatIntervalMs * 2 > e.WORKER_TIMEOUT_MS) {
    problems.push('HEARTBEAT_INTERVAL_MS must be at most half of WORKER_TIMEOUT_MS');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const workers =
    e.WORKERS === undefined
      ? defaultWorkerCount(MAX_WORKERS)
      : { workers: e.WORKERS, source: 'WORKERS' };
  return {
    ...fromEnv,
    workers: workers.workers,
    // Where `workers` came from, for the start-up log.
    workersSource: workers.source,
    heartbeatIntervalMs,
    // Default jitter: 10% of the limit, so workers forked together do not all recycle together.
    workerMaxRequestsJitter:
      e.WORKER_MAX_REQUESTS_JITTER ??
      (e.WORKER_MAX_REQUESTS === undefined ? 0 : Math.floor(e.WORKER_MAX_REQUESTS / 10)),
  };
}
