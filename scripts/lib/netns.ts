// Runs a command in a network namespace of its own with net.ipv4.tcp_migrate_req set to a chosen
// value: the sysctl is per namespace, so a test can try both values without touching the host's.
// `unshare -rn` (a user namespace mapping the caller to root, and a network namespace owned by
// it) needs no privilege where user namespaces are allowed; the namespace has only a loopback,
// brought up here, so the command's cluster and its load must both run inside.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface NetnsRun {
  code: number | string;
  stdout: string;
  stderr: string;
}

/** The command, run inside a fresh network namespace with tcp_migrate_req=`migrateReq`. */
export function runInNetns(
  migrateReq: 0 | 1,
  command: string[],
  timeoutMs: number,
): Promise<NetnsRun> {
  const setup = 'ip link set lo up && echo "$0" > /proc/sys/net/ipv4/tcp_migrate_req && exec "$@"';
  const child = spawn('unshare', ['-rn', 'sh', '-c', setup, String(migrateReq), ...command], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: the deadline kills the cluster it started too.
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => {
    stderr += `\n[netns] killed after ${timeoutMs} ms`;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }, timeoutMs);
  return new Promise((resolve) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: 'spawn-error', stdout, stderr: `${stderr}${error.message}` });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? 'unknown', stdout, stderr });
    });
  });
}

/** The node command running a TypeScript file of this repository (tsx, as `npm run` does). */
export const tsxCommand = (file: string, args: string[]): string[] => [
  process.execPath,
  '--import',
  'tsx',
  file,
  ...args,
];

/** True when this machine lets the caller make a user and network namespace. */
export function canMakeNetns(): { ok: true } | { ok: false; why: string } {
  const probe = spawnSync('unshare', ['-rn', 'true']);
  if (probe.status === 0) return { ok: true };
  return { ok: false, why: probe.error?.message ?? probe.stderr.toString().trim() };
}
