// The external tools some tests run (Debian's `prometheus`, `promtool`, `docker-compose`): where
// to find them, and the one place that decides what happens when they are missing: in CI
// (CI=true) the tests fail, on a laptop they skip loudly.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './repo-paths.js';

const TOOL_ENV: Record<string, string> = {
  prometheus: 'PROMETHEUS_BIN',
  promtool: 'PROMTOOL_BIN',
  'docker-compose': 'DOCKER_COMPOSE_BIN',
};

/** Absolute path of a tool: $PROMETHEUS_BIN etc., then /usr/bin (Debian), then $PATH. */
export function findTool(name: string): string | undefined {
  const override = TOOL_ENV[name] ? process.env[TOOL_ENV[name]] : undefined;
  const candidates = [
    ...(override ? [override] : []),
    path.join('/usr/bin', name),
    ...(process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, name)),
  ];
  return candidates.find((file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

export interface ToolCheck {
  /** Tool name -> absolute path, for the tools that were found. */
  paths: Record<string, string>;
  missing: string[];
  /** Missing tools on a laptop: skip (a loud warning has been printed). */
  skip: boolean;
  /** Missing tools in CI: the suite must fail; `message` says why. */
  fail: boolean;
  message: string;
}

/**
 * Looks the tools up once per test file. Missing in CI (CI=true): `fail` is set and the caller
 * registers a failing test with `message`. Missing elsewhere: `skip` is set and a warning that
 * says how to install them is printed.
 */
export function checkTools(names: string[], what: string): ToolCheck {
  const paths: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of names) {
    const found = findTool(name);
    if (found) paths[name] = found;
    else missing.push(name);
  }
  const ci = process.env.CI === 'true';
  const message =
    missing.length === 0
      ? ''
      : `${what} needs ${missing.join(', ')}, not found on this machine. ` +
        "Install Debian's packages: `sudo apt-get install prometheus docker-compose` " +
        '(or point PROMETHEUS_BIN / PROMTOOL_BIN / DOCKER_COMPOSE_BIN at the binaries).';
  if (missing.length > 0 && !ci) {
    const bar = '!'.repeat(100);
    console.warn(
      `\n${bar}\n!! SKIPPED: ${message}\n!! In CI (CI=true) this is a failure.\n${bar}\n`,
    );
  }
  return {
    paths,
    missing,
    skip: missing.length > 0 && !ci,
    fail: missing.length > 0 && ci,
    message,
  };
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (the tools here are fast); `input` goes to stdin. */
export function run(
  file: string,
  args: string[],
  options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): RunResult {
  const result = spawnSync(file, args, {
    input: options.input,
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
