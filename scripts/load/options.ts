// What a load run needs, checked once with messages that say what to change. Used by the CLI
// (after parsing strings) and by runLoad (for programmatic callers).
import { loopbackOrigin, TargetError } from './loopback.js';
import {
  isScenarioName,
  SCENARIO_NAMES,
  SCENARIOS,
  type ScenarioDefinition,
  type ScenarioName,
} from './scenarios.js';

/** Longest run accepted: every run is bounded in time. */
export const MAX_DURATION_SEC = 4 * 3600;
export const MAX_CONNECTIONS = 1000;
export const MAX_RATE = 100_000;

export const DEFAULT_URL = 'http://127.0.0.1:8080';
export const DEFAULT_MANAGER_URL = 'http://127.0.0.1:9464';

export interface LoadOptions {
  scenario: ScenarioName;
  /** The worker API origin, e.g. http://127.0.0.1:8080 (loopback only). */
  url: string;
  /** The manager endpoint origin (reload and soak use it; loopback only). */
  managerUrl?: string;
  /** Bearer token for POST /reload (reload scenario). */
  adminToken?: string;
  /** Seconds; the scenario's default when omitted. */
  durationSec?: number;
  /** Connections (the peak, when unthrottled). */
  connections?: number;
  /** The shape's peak requests per second over all connections; 0 = unthrottled. */
  rate?: number;
  /** Largest acceptable failure ratio, 0..1 (inclusive); scenario default (SLO) when omitted. */
  maxErrorRate?: number;
  /** Largest acceptable p99 in ms, null to skip; scenario default when omitted. */
  maxP99Ms?: number | null;
  /** Per-request timeout in seconds (default 10). */
  timeoutSec?: number;
  /** Stops the run early (the result then has `aborted: true`). */
  signal?: AbortSignal;
  /** Progress lines (phase starts, reload events). */
  onProgress?: (line: string) => void;
}

export interface ResolvedLoadOptions {
  scenario: ScenarioDefinition;
  url: string;
  managerUrl: string;
  adminToken: string | undefined;
  durationSec: number;
  connections: number;
  rate: number;
  maxErrorRate: number;
  maxP99Ms: number | null;
  timeoutSec: number;
  signal: AbortSignal | undefined;
  onProgress: (line: string) => void;
}

export class LoadOptionsError extends Error {
  override name = 'LoadOptionsError';
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new LoadOptionsError(message);
}

/** Applies scenario defaults and checks every value; throws LoadOptionsError / TargetError. */
export function resolveOptions(options: LoadOptions): ResolvedLoadOptions {
  check(
    isScenarioName(options.scenario),
    `unknown scenario ${JSON.stringify(options.scenario)}; one of: ${SCENARIO_NAMES.join(', ')}`,
  );
  const scenario = SCENARIOS[options.scenario];
  const d = scenario.defaults;
  const url = loopbackOrigin(options.url, '--url');
  const managerUrl = loopbackOrigin(options.managerUrl ?? DEFAULT_MANAGER_URL, '--manager-url');

  const durationSec = options.durationSec ?? d.durationSec;
  check(
    Number.isFinite(durationSec) && durationSec >= 1 && durationSec <= MAX_DURATION_SEC,
    `--duration must be from 1 to ${MAX_DURATION_SEC} seconds, got ${durationSec}`,
  );
  const connections = options.connections ?? d.connections;
  check(
    Number.isInteger(connections) && connections >= 1 && connections <= MAX_CONNECTIONS,
    `--connections must be an integer from 1 to ${MAX_CONNECTIONS}, got ${connections}`,
  );
  check(
    options.rate === undefined || scenario.usesRate,
    `--rate does not apply to ${scenario.name}: it is unthrottled and steps connections instead`,
  );
  const rate = options.rate ?? d.rate;
  check(
    Number.isInteger(rate) && rate >= 0 && rate <= MAX_RATE,
    `--rate must be an integer from 0 (unthrottled) to ${MAX_RATE}, got ${rate}`,
  );
  const maxErrorRate = options.maxErrorRate ?? d.maxErrorRate;
  check(
    Number.isFinite(maxErrorRate) && maxErrorRate >= 0 && maxErrorRate <= 1,
    `--max-error-rate must be from 0 to 1, got ${maxErrorRate}`,
  );
  const maxP99Ms = options.maxP99Ms === undefined ? d.maxP99Ms : options.maxP99Ms;
  check(
    maxP99Ms === null || (Number.isFinite(maxP99Ms) && maxP99Ms > 0),
    `--max-p99-ms must be a positive number of milliseconds, got ${maxP99Ms}`,
  );
  const timeoutSec = options.timeoutSec ?? 10;
  check(
    Number.isFinite(timeoutSec) && timeoutSec >= 1 && timeoutSec <= 120,
    `--timeout must be from 1 to 120 seconds, got ${timeoutSec}`,
  );
  const adminToken = options.adminToken === '' ? undefined : options.adminToken;
  check(
    scenario.reloadAt === undefined || adminToken !== undefined,
    'the reload scenario needs the admin token (--admin-token or ADMIN_TOKEN) for POST /reload',
  );
  return {
    scenario,
    url,
    managerUrl,
    adminToken,
    durationSec,
    connections,
    rate,
    maxErrorRate,
    maxP99Ms,
    timeoutSec,
    signal: options.signal,
    onProgress: options.onProgress ?? (() => undefined),
  };
}

export { TargetError };
