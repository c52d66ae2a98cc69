// The CPU limit a container runtime put on this process, from the cgroup files (v2 cpu.max, v1
// cpu.cfs_quota_us/cfs_period_us): os.availableParallelism() does not always honour it. An
// ancestor's limit applies too: every level up to the mount root is read and the tightest wins.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type CgroupPaths = { root: string; procSelfCgroup: string };
// `file`: which file said so, for the manager's start-up log.
type CpuLimit = { cpus: number; file: string };

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The cgroup path of this process for a v1 controller (`cpu`) or v2 (`''`), e.g. `/kubepods/x`. */
function membership(procSelfCgroup: string, controller: string): string {
  for (const line of (read(procSelfCgroup) ?? '').split('\n')) {
    const [, controllers, cgroupPath] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (controllers === undefined || cgroupPath === undefined) continue;
    if (controller === '' ? controllers === '' : controllers.split(',').includes(controller)) {
      return cgroupPath;
    }
  }
  return '/';
}

/** The existing cgroup directories from `cgroupPath`'s up to `root`. */
function levels(root: string, cgroupPath: string): string[] {
  const top = path.resolve(root);
  let dir = path.resolve(top, `.${cgroupPath}`);
  // A path outside the mount (another cgroup namespace's view): only the mount root applies.
  if (dir !== top && !dir.startsWith(top + path.sep)) dir = top;
  const out: string[] = [];
  for (;;) {
    if (fs.existsSync(dir)) out.push(dir);
    if (dir === top) return out;
    dir = path.dirname(dir);
  }
}

/**
 * The tightest quota / period over `dirs`: v2's `cpu.max` ("max" or "<quota> <period>"), v1's
 * `cpu.cfs_quota_us` (-1: none) and `cpu.cfs_period_us`. Anything not two positive numbers is none.
 */
function tightest(dirs: string[], v2: boolean): CpuLimit | undefined {
  let best: CpuLimit | undefined;
  for (const dir of dirs) {
    const file = path.join(dir, v2 ? 'cpu.max' : 'cpu.cfs_quota_us');
    const [quota = NaN, period = NaN] = v2
      ? (read(file) ?? '').split(/\s+/).map(Number)
      : [Number(read(file)), Number(read(path.join(dir, 'cpu.cfs_period_us')))];
    const valid = quota > 0 && period > 0 && Number.isFinite(quota) && Number.isFinite(period);
    if (valid && (!best || quota / period < best.cpus)) best = { cpus: quota / period, file };
  }
  return best;
}

export function readCpuLimit(
  paths: CgroupPaths = { root: '/sys/fs/cgroup', procSelfCgroup: '/proc/self/cgroup' },
): CpuLimit | undefined {
  if (fs.existsSync(path.join(paths.root, 'cgroup.controllers'))) {
    const own = membership(paths.procSelfCgroup, '');
    return tightest(levels(paths.root, own), true);
  }
  // v1 mounts the cpu controller alone or together with cpuacct, under either name.
  const own = membership(paths.procSelfCgroup, 'cpu');
  for (const mount of ['cpu', 'cpu,cpuacct', 'cpuacct,cpu']) {
    const mountRoot = path.join(paths.root, mount);
    if (fs.existsSync(mountRoot)) return tightest(levels(mountRoot, own), false);
  }
  return undefined;
}

/**
 * One worker per CPU the process may use: the smaller of os.availableParallelism() and the cgroup
 * limit rounded up (1.5 CPUs: 2 workers; the busy one is throttled, the other still serves), at
 * least 1 and at most `max`. `source` says where the number came from, for the start-up log.
 */
export function defaultWorkerCount(
  max: number,
  options: { availableParallelism?: number; cpuLimit?: CpuLimit | undefined } = {},
): { workers: number; source: string } {
  const parallelism = options.availableParallelism ?? os.availableParallelism();
  const limit = 'cpuLimit' in options ? options.cpuLimit : readCpuLimit();
  // tightest() keeps positive quotas only: rounded up, a limit is at least 1.
  if (limit !== undefined && Math.ceil(limit.cpus) < parallelism) {
    const workers = Math.min(max, Math.ceil(limit.cpus));
    return { workers, source: `cgroup CPU limit ${limit.cpus} (${limit.file})` };
  }
  return {
    workers: Math.max(1, Math.min(max, parallelism)),
    source: `os.availableParallelism() = ${parallelism}`,
  };
}
