// Where the k6 scripts send traffic and how much, from `__ENV` (k6 passes the process
// environment through, and `-e NAME=value` on the command line). Bad values fail the script in
// the init context with a message naming the variable, before any request is made.

function raw(name: string): string | undefined {
  const value = __ENV[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function envString(name: string, fallback: string): string {
  return raw(name) ?? fallback;
}

export function envInt(name: string, fallback: number, min = 0, max = 1_000_000): number {
  const value = raw(name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new Error(`${name}=${JSON.stringify(value)}: must be an integer from ${min} to ${max}`);
  }
  return Number(value);
}

/** A k6 duration such as `30s`, `5m`, `1h30m`, `500ms`. */
export function envDuration(name: string, fallback: string): string {
  const value = raw(name);
  if (value === undefined) return fallback;
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(value)) {
    throw new Error(`${name}=${JSON.stringify(value)}: must be a duration like 30s, 5m or 1h30m`);
  }
  return value;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Validates an origin such as `http://localhost:8080` and refuses hosts that could be someone
 * else's: loopback, single-label names (Compose service names such as `app`) and hosts listed
 * in ALLOWED_HOSTS (comma-separated) are accepted; anything else is an error.
 */
export function targetOrigin(name: string, value: string): string {
  const match = /^(https?):\/\/(\[[0-9a-fA-F:.]+\]|[^/:?#@]+)(:\d{1,5})?\/?$/.exec(value);
  if (match === null) {
    throw new Error(
      `${name}=${JSON.stringify(value)}: must be an origin like http://localhost:8080 (no path)`,
    );
  }
  const host = (match[2] ?? '').toLowerCase();
  const allowed = envString('ALLOWED_HOSTS', '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  const singleLabel = /^[a-z][a-z0-9_-]*$/.test(host);
  if (!LOOPBACK.test(host) && !singleLabel && !allowed.includes(host)) {
    throw new Error(
      `${name}=${JSON.stringify(value)}: refusing to load-test ${host}. Only loopback, ` +
        'single-label (Compose service) hosts, or hosts listed in ALLOWED_HOSTS are targeted.',
    );
  }
  return value.replace(/\/$/, '');
}

/** The worker API. */
export const BASE_URL = targetOrigin('BASE_URL', envString('BASE_URL', 'http://localhost:8080'));

/**
 * The manager's endpoint (/status, /metrics, /reload). Set MANAGER_URL=off to skip the manager
 * (e.g. when its port is not reachable from where k6 runs); reload.ts needs it.
 */
const managerSetting = envString('MANAGER_URL', 'http://127.0.0.1:9464');
export const MANAGER_URL: string | undefined =
  managerSetting.toLowerCase() === 'off' ? undefined : targetOrigin('MANAGER_URL', managerSetting);

/** Bearer token for the manager's admin mutations (POST /reload). */
export const ADMIN_TOKEN = envString('ADMIN_TOKEN', '');

/** Where handleSummary writes `<scenario>-summary.json` and `.txt` (k6/run.sh creates it). */
export const SUMMARY_DIR = envString('SUMMARY_DIR', 'reports/k6').replace(/\/$/, '');

/**
 * The test-wide `testid` tag (k6's convention for telling runs apart): set as `options.tags`, it
 * lands on every metric of the run, so the k6 dashboard's `testid` variable picks one run out of
 * many in Prometheus. TESTID sets it; the default is the scenario and the start time, e.g.
 * `load-2026-11-25T23:10:00Z`. k6 reads options once, so every VU shares the value.
 */
export function testTags(scenario: string): { testid: string } {
  const started = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return { testid: envString('TESTID', `${scenario}-${started}`) };
}
