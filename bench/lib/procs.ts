// Child processes of the bench, and the guarantee that none outlives it. Every child is spawned
// as the leader of its own process group (detached), so killing the group also takes the
// cluster workers it forked, even when the leader is already gone. Only groups this process
// started are ever signalled, by their id.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Process-group ids of children that may still have live members. */
const groups = new Set<number>();

function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is empty
  }
}

/** SIGKILLs every group still alive. Synchronous: safe in an 'exit' handler. */
export function killAllChildren(): number {
  let killed = 0;
  for (const pgid of groups) {
    if (killGroup(pgid, 'SIGKILL')) killed += 1;
    groups.delete(pgid);
  }
  return killed;
}

/**
 * Tracks a process group this process caused but did not spawn as a child (a detached daemon,
 * such as PM2's: lib/pm2.ts), so that killAllChildren kills it on exit and on a crash too.
 */
export function adoptGroup(pgid: number): void {
  groups.add(pgid);
}

/** SIGKILLs an adopted group (whatever is left of it) and stops tracking it. */
export function releaseGroup(pgid: number): void {
  if (groups.delete(pgid)) killGroup(pgid, 'SIGKILL');
}

let handlersInstalled = false;

/** Kills every child on exit, on Ctrl-C / SIGTERM, and on a crash of the bench itself. */
export function installCleanupHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => killAllChildren());
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, killing children\n`);
      killAllChildren();
      process.exit(code);
    });
  }
  const crash = (error: unknown) => {
    process.stderr.write(
      `bench crashed: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    killAllChildren();
    process.exit(1);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}

export interface Child {
  proc: ChildProcess;
  pid: number;
  label: string;
  /** Everything the child wrote so far (bounded to the last 1 MB). */
  output(): string;
  /** Calls `fn` for every complete stdout line. */
  onLine(fn: (line: string) => void): void;
  /** Resolves with the exit code (or signal name) once the group leader exited. */
  exited: Promise<number | string>;
  /** SIGTERM to the leader, SIGKILL to the group after `timeoutMs`; then sweeps the group. */
  stop(timeoutMs?: number): Promise<number | string>;
}

const MAX_OUTPUT = 1 << 20;

export function spawnChild(
  label: string,
  args: readonly string[],
  env: Record<string, string>,
  options: { cpus?: string } = {},
): Child {
  // Pinning (taskset) keeps a single-process server on one core, away from the load generator.
  const [command, argv] = options.cpus
    ? ['taskset', ['-c', options.cpus, process.execPath, ...args]]
    : [process.execPath, [...args]];
  const proc = spawn(command, argv, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (proc.pid === undefined) throw new Error(`${label}: spawn failed`);
  const pid = proc.pid;
  groups.add(pid);
  let output = '';
  let partial = '';
  const lineListeners: ((line: string) => void)[] = [];
  const keep = (text: string) => {
    output += text;
    if (output.length > MAX_OUTPUT) output = output.slice(-MAX_OUTPUT / 2);
  };
  proc.stdout?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    keep(text);
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) for (const fn of lineListeners) fn(line);
  });
  proc.stderr?.on('data', (chunk: Buffer) => keep(chunk.toString()));
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => {
      // Workers left behind by a leader that died are swept with it.
      killGroup(pid, 'SIGKILL');
      groups.delete(pid);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  return {
    proc,
    pid,
    label,
    output: () => output,
    onLine: (fn) => void lineListeners.push(fn),
    exited,
    async stop(timeoutMs = 15_000) {
      if (proc.exitCode === null && proc.signalCode === null) {
        try {
          proc.kill('SIGTERM');
        } catch {
          // already gone
        }
      }
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        exited,
        new Promise<string>((resolve) => {
          timer = setTimeout(() => {
            killGroup(pid, 'SIGKILL');
            resolve('SIGKILL (stop timed out)');
          }, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      await exited;
      killGroup(pid, 'SIGKILL');
      groups.delete(pid);
      return code;
    },
  };
}

/** True when `taskset` can pin a process here (Linux with util-linux). */
export async function canPin(): Promise<boolean> {
  return new Promise((resolve) => {
    const proc = spawn('taskset', ['-c', '0', process.execPath, '-e', '0'], { stdio: 'ignore' });
    proc.once('error', () => resolve(false));
    proc.once('exit', (code) => resolve(code === 0));
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Pins this process (all its threads) to `cpus` (taskset list syntax, e.g. `0` or `0-1`);
 * false when taskset is missing or refuses.
 */
export function pinSelf(cpus: string): boolean {
  const result = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], {
    stdio: 'ignore',
  });
  return result.status === 0;
}

/** This process's CPU list (taskset syntax), to restore after pinSelf; undefined if unknown. */
export function selfAffinity(): string | undefined {
  const result = spawnSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8' });
  if (result.status !== 0) return undefined;
  const match = /list:\s*(\S+)/.exec(result.stdout);
  return match?.[1];
}

let clockTicks: number | undefined;

/**
 * CPU time (user + system, seconds) a process has used so far, from /proc (Linux); NaN where
 * unavailable. Clock-tick resolution (usually 10 ms): meaningful over runs of seconds.
 */
export function cpuSecondsOf(pid: number): number {
  try {
    clockTicks ??=
      Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / clockTicks;
  } catch {
    return NaN;
  }
}

// Shared with the tests and scripts.
export { freePort } from '../../scripts/lib/free-port.js';
export { waitUntil } from '../../scripts/lib/wait.js';
