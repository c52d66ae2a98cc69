// Command line -> LoadOptions, with errors that name the flag and what it accepts.
import { parseArgs as parseNodeArgs } from 'node:util';
import {
  DEFAULT_MANAGER_URL,
  DEFAULT_URL,
  MAX_DURATION_SEC,
  resolveOptions,
  type LoadOptions,
} from './options.js';
import { isScenarioName, SCENARIO_NAMES, SCENARIOS, type ScenarioName } from './scenarios.js';

export class ArgsError extends Error {
  override name = 'ArgsError';
}

export interface CliOptions extends LoadOptions {
  /** Print the result as JSON instead of the table. */
  json: boolean;
}

export type ParsedArgs = { help: true } | { help: false; options: CliOptions };

function scenarioLines(): string {
  return SCENARIO_NAMES.map((name) => {
    const s = SCENARIOS[name];
    const d = s.defaults;
    const rate = s.usesRate ? `, ${d.rate} rps` : '';
    return `  ${name.padEnd(7)} ${s.description}\n          defaults: ${d.durationSec} s, ${d.connections} connections${rate}`;
  }).join('\n');
}

export function helpText(): string {
  return `npm run load -- [options]

A local load runner (autocannon) with the k6 scenarios' shapes (k6/lib/scenarios.ts), squeezed
into --duration and scaled to --rate. It only
targets loopback addresses. It prints requests, failures, latency percentiles and RPS, and exits 1
when a threshold is missed (2 on bad arguments).

options:
  --scenario, -s <name>    one of: ${SCENARIO_NAMES.join(', ')} (default: load)
  --url <origin>           worker API (default: $BASE_URL or ${DEFAULT_URL})
  --manager-url <origin>   manager endpoint, for reload and soak (default: $MANAGER_URL or ${DEFAULT_MANAGER_URL})
  --admin-token <token>    bearer token for POST /reload (default: $ADMIN_TOKEN)
  --duration <time>        seconds, or with a unit: 45s, 2m, 1h (max ${MAX_DURATION_SEC / 3600}h)
  --connections <n>        concurrent connections (unthrottled: the peak)
  --rate <rps>             peak requests/second over all connections; 0: unthrottled
  --max-error-rate <r>     fail when (non-2xx + errors) / requests exceeds r (0..1; SLO: 0.001)
  --max-p99-ms <ms|off>    fail when p99 latency exceeds ms (SLO: 500; "off" to skip)
  --timeout <s>            per-request timeout in seconds (default 10)
  --json                   print the result as JSON
  --help, -h               this text

scenarios:
${scenarioLines()}

examples:
  npm run load -- --scenario smoke
  npm run load -- --scenario load --url http://127.0.0.1:8080 --duration 10 --connections 16
  ADMIN_TOKEN=... npm run load -- --scenario reload --max-error-rate 0
`;
}

function number(flag: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const pattern = integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
  if (!pattern.test(value.trim())) {
    throw new ArgsError(
      `${flag} ${JSON.stringify(value)}: expected ${integer ? 'a whole number' : 'a number'}`,
    );
  }
  return Number(value);
}

/** `30`, `30s`, `2m`, `1h`, `1.5m` -> seconds. */
export function parseDuration(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(value.trim());
  if (match === null) {
    throw new ArgsError(`--duration ${JSON.stringify(value)}: expected seconds or 45s, 2m, 1h`);
  }
  const unit = match[2] === 'h' ? 3600 : match[2] === 'm' ? 60 : 1;
  return Number(match[1]) * unit;
}

/**
 * Parses `argv` (without node and the script). Defaults for URLs and the token come from `env`.
 * Throws ArgsError for malformed or out-of-range values and for non-loopback targets.
 */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ParsedArgs {
  let values;
  try {
    ({ values } = parseNodeArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        scenario: { type: 'string', short: 's' },
        url: { type: 'string' },
        'manager-url': { type: 'string' },
        'admin-token': { type: 'string' },
        duration: { type: 'string' },
        connections: { type: 'string' },
        rate: { type: 'string' },
        'max-error-rate': { type: 'string' },
        'max-p99-ms': { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const message = (text.split('. To specify')[0] ?? text).replace(/\s*\n\s*/g, ' ');
    throw new ArgsError(`${message} (see --help)`);
  }
  if (values.help === true) return { help: true };

  const scenario = values.scenario ?? 'load';
  if (!isScenarioName(scenario)) {
    throw new ArgsError(
      `--scenario ${JSON.stringify(scenario)}: expected one of ${SCENARIO_NAMES.join(', ')}`,
    );
  }
  const p99 = values['max-p99-ms'];
  const options: CliOptions = {
    scenario: scenario as ScenarioName,
    url: values.url ?? env.BASE_URL ?? DEFAULT_URL,
    managerUrl: values['manager-url'] ?? env.MANAGER_URL ?? DEFAULT_MANAGER_URL,
    adminToken: values['admin-token'] ?? env.ADMIN_TOKEN,
    durationSec: parseDuration(values.duration),
    connections: number('--connections', values.connections, true),
    rate: number('--rate', values.rate, true),
    maxErrorRate: number('--max-error-rate', values['max-error-rate'], false),
    maxP99Ms: p99 === 'off' ? null : number('--max-p99-ms', p99, false),
    timeoutSec: number('--timeout', values.timeout, false),
    json: values.json === true,
  };
  for (const key of Object.keys(options) as (keyof CliOptions)[]) {
    if (options[key] === undefined) delete options[key];
  }
  try {
    resolveOptions(options); // range checks, loopback rule, scenario requirements
  } catch (error) {
    throw new ArgsError(error instanceof Error ? error.message : String(error));
  }
  return { help: false, options };
}
