// PM2 as rows 8-8c run it: the pm2 CLI of this checkout (node_modules/.bin/pm2, a dev
// dependency pinned by package-lock) run by this Node, with PM2_HOME and HOME in a temporary
// directory of its own, so no PM2 of the user's (~/.pm2, a daemon already running) is read,
// reused or touched. The daemon the CLI spawns is detached, the leader of a process group that
// also holds the app's cluster workers: lib/procs.ts adopts that group, so the bench's exit and
// crash handlers kill it as they kill every child. stop() runs `pm2 kill`, kills the group
// whatever is left of it, and removes the directory. Loopback only: the app listens on 127.0.0.1.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getOnce } from './load.js';
import { adoptGroup, freePort, releaseGroup, ROOT, waitUntil } from './procs.js';
import { LOOPBACK } from './service.js';

const PM2_BIN = path.join(ROOT, 'node_modules/.bin/pm2');
export const APP_NAME = 'bench-app';

export interface Pm2Process {
  pid: number;
  status: string;
  /** When PM2 (re)started this instance, epoch ms. */
  startedAt: number;
  restarts: number;
}

export interface Pm2Cluster {
  label: string;
  apiUrl: string;
  home: string;
  daemonPid: number;
  /** Runs the pm2 CLI against this PM2_HOME; resolves with its stdout. */
  cli(args: readonly string[], timeoutMs?: number): Promise<string>;
  /** `pm2 jlist`: the app's instances. */
  list(): Promise<Pm2Process[]>;
  /** Polls `pm2 jlist` until exactly `count` instances are online. */
  waitOnline(count: number, timeoutMs?: number): Promise<Pm2Process[]>;
  stop(): Promise<void>;
}

export interface Pm2Options {
  label: string;
  workers: number;
  /** The app, relative to the repository root. */
  script: string;
  env?: Record<string, string>;
  /** PM2's wait for a stopping instance before it SIGKILLs it (kill_timeout). */
  killTimeoutMs: number;
}

/** The bench's one PM2_HOME per run: removed on any exit of the bench, crash included. */
const homes = new Set<string>();
process.on('exit', () => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

/** The process group of `pid`, from /proc (Linux); undefined when it cannot be read. */
function groupOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

/** The parts of `pm2 jlist`'s entries the bench reads. */
interface JlistEntry {
  name?: string;
  pid?: number;
  pm2_env?: { status?: string; pm_uptime?: number; restart_time?: number };
}

/** `pm2 jlist`'s JSON line (PM2 may print its own `[PM2] ...` lines before it) -> `name`'s instances. */
export function parseJlist(stdout: string, name = APP_NAME): Pm2Process[] {
  const json = stdout.split('\n').find((line) => /^\[(\{|\])/.test(line.trim()));
  if (json === undefined) throw new Error(`pm2 jlist printed no list: ${stdout.slice(0, 200)}`);
  const entries = JSON.parse(json) as JlistEntry[];
  return entries
    .filter((e) => e.name === name)
    .map((e) => ({
      pid: e.pid ?? 0,
      status: e.pm2_env?.status ?? 'unknown',
      startedAt: e.pm2_env?.pm_uptime ?? NaN,
      restarts: e.pm2_env?.restart_time ?? 0,
    }));
}

export async function startPm2(options: Pm2Options): Promise<Pm2Cluster> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'bench-pm2-'));
  homes.add(home);
  const apiPort = await freePort();
  const apiUrl = `http://${LOOPBACK}:${apiPort}`;
  // Everything the app gets is written here: the CLI's own environment is kept minimal, as PM2
  // hands the CLI's environment on to the apps it starts.
  const cliEnv = { PATH: process.env.PATH ?? '', HOME: home, PM2_HOME: home };
  const cli = (args: readonly string[], timeoutMs = 30_000) =>
    new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [PM2_BIN, ...args],
        { cwd: ROOT, env: cliEnv, timeout: timeoutMs, maxBuffer: 16 << 20 },
        (error, stdout, stderr) => {
          if (error) reject(new Error(`pm2 ${args.join(' ')}: ${error.message}\n${stderr}`));
          else resolve(stdout);
        },
      );
    });
  let daemonPid = 0;
  const list = async () => parseJlist(await cli(['jlist']));
  const waitOnline = (count: number, timeoutMs = 30_000) =>
    waitUntil(
      async () => {
        const procs = await list();
        const online = procs.length === count && procs.every((p) => p.status === 'online');
        return online ? procs : undefined;
      },
      `${options.label}: ${count} online instances`,
      timeoutMs,
      100,
    );
  const stop = async () => {
    try {
      await cli(['kill'], 20_000);
    } catch {
      // Whatever it left is killed with its group below.
    }
    if (daemonPid > 0) releaseGroup(daemonPid);
    rmSync(home, { recursive: true, force: true });
    homes.delete(home);
  };
  try {
    // The daemon first, alone, so its group is adopted before it forks anything.
    await cli(['ping']);
    daemonPid = Number(readFileSync(path.join(home, 'pm2.pid'), 'utf8').trim());
    if (groupOf(daemonPid) !== daemonPid) {
      throw new Error(`the PM2 daemon (${daemonPid}) does not lead a process group of its own`);
    }
    adoptGroup(daemonPid);
    const ecosystem = path.join(home, 'ecosystem.json');
    writeFileSync(
      ecosystem,
      JSON.stringify({
        apps: [
          {
            name: APP_NAME,
            script: path.join(ROOT, options.script),
            cwd: ROOT,
            exec_mode: 'cluster',
            instances: options.workers,
            kill_timeout: options.killTimeoutMs,
            env: { HOST: LOOPBACK, PORT: String(apiPort), ...options.env },
          },
        ],
      }),
    );
    await cli(['start', ecosystem]);
    await waitOnline(options.workers);
    // Online is PM2's word; serving is the app's: both instances answer on fresh connections.
    await waitUntil(
      async () => {
        const pids = new Set<number>();
        for (let i = 0; i < 4 * options.workers; i += 1) {
          const response = await getOnce(`${apiUrl}/`, 2_000);
          pids.add((JSON.parse(response.body) as { pid: number }).pid);
        }
        return pids.size === options.workers;
      },
      `${options.label}: ${options.workers} instances serving`,
      30_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { label: options.label, apiUrl, home, daemonPid, cli, list, waitOnline, stop };
}
