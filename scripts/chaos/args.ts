// `npm run chaos -- --seed N --seconds S ...`: the options of a chaos run from the command line.
import { parseArgs } from 'node:util';
import { LISTEN_MODES, type ListenMode } from '../../src/listen-mode.js';
import type { ChaosOptions } from './run.js';

export const USAGE = `usage: npm run chaos -- [--seed N] [--seconds S] [--phases P] [--path P]
       [--workers W] [--worker-timeout-ms MS] [--ulimit N] [--max-commands C] [--log-level L]
       [--listen-mode shared|reuseport] [--list]`;

function int(value: string | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} must be an integer ≥ ${min}, got ${value}\n${USAGE}`);
  return n;
}

function listenMode(value: string | undefined): ListenMode {
  if (value === undefined) return 'shared';
  if ((LISTEN_MODES as readonly string[]).includes(value)) return value as ListenMode;
  throw new Error(
    `--listen-mode must be one of ${LISTEN_MODES.join(', ')}, got ${value}\n${USAGE}`,
  );
}

export function parseChaosArgs(argv: string[], now = Date.now()): ChaosOptions & { list: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      seed: { type: 'string' },
      seconds: { type: 'string' },
      phases: { type: 'string' },
      path: { type: 'string' },
      workers: { type: 'string' },
      'worker-timeout-ms': { type: 'string' },
      ulimit: { type: 'string' },
      'max-commands': { type: 'string' },
      'log-level': { type: 'string' },
      'listen-mode': { type: 'string' },
      list: { type: 'boolean' },
    },
    strict: true,
  });
  return {
    seed: int(values.seed, 'seed', now % 2_147_483_647, -2_147_483_648),
    seconds: int(values.seconds, 'seconds', 60, 1),
    phases: values.phases === undefined ? undefined : int(values.phases, 'phases', 1, 1),
    path: values.path,
    workers: int(values.workers, 'workers', 2, 1),
    workerTimeoutMs: int(values['worker-timeout-ms'], 'worker-timeout-ms', 2_000, 400),
    maxOpenFiles: values.ulimit === undefined ? undefined : int(values.ulimit, 'ulimit', 0, 64),
    maxCommands: int(values['max-commands'], 'max-commands', 16, 1),
    logLevel: values['log-level'] ?? 'warn',
    listenMode: listenMode(values['listen-mode']),
    list: values.list ?? false,
  };
}
