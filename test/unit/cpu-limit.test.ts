// The container-aware WORKERS default, on fixture cgroup trees (test/fixtures/cgroup/<case>/,
// each with the files the kernel would show plus `self-cgroup`, a /proc/self/cgroup).
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultWorkerCount, readCpuLimit, type CgroupPaths } from '../../src/cpu-limit.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/cgroup');
const fixture = (name: string): CgroupPaths => ({
  root: path.join(FIXTURES, name),
  procSelfCgroup: path.join(FIXTURES, name, 'self-cgroup'),
});

describe('readCpuLimit', () => {
  it('cgroup v2: cpu.max "150000 100000" is 1.5 CPUs', () => {
    expect(readCpuLimit(fixture('v2-limited'))).toEqual({
      cpus: 1.5,
      file: path.join(FIXTURES, 'v2-limited', 'cpu.max'),
    });
  });

  it('cgroup v2: "max" is no limit', () => {
    expect(readCpuLimit(fixture('v2-unlimited'))).toBeUndefined();
  });

  it('cgroup v2: the tightest limit on the way up from the own cgroup wins', () => {
    // pod1 says max, its parent kubepods says 3 CPUs.
    expect(readCpuLimit(fixture('v2-nested'))).toEqual({
      cpus: 3,
      file: path.join(FIXTURES, 'v2-nested', 'kubepods', 'cpu.max'),
    });
  });

  it('cgroup v1: cfs quota / period under a cpu,cpuacct mount; a path outside it means the mount root', () => {
    expect(readCpuLimit(fixture('v1-limited'))).toEqual({
      cpus: 0.5,
      file: path.join(FIXTURES, 'v1-limited', 'cpu,cpuacct', 'cpu.cfs_quota_us'),
    });
  });

  it('cgroup v1: quota -1 is no limit', () => {
    expect(readCpuLimit(fixture('v1-unlimited'))).toBeUndefined();
  });

  it('hybrid hierarchy (v2 at unified/, cpu on v1): the v1 cpu controller answers', () => {
    expect(readCpuLimit(fixture('hybrid-v1-cpu'))?.cpus).toBe(4);
  });

  it('no cgroup filesystem: no limit', () => {
    expect(readCpuLimit(fixture('does-not-exist'))).toBeUndefined();
  });
});

describe('defaultWorkerCount', () => {
  const limit = (cpus: number) => ({ cpus, file: '/sys/fs/cgroup/cpu.max' });

  it('a 2-CPU pod on a 64-core node forks 2 workers, and says why', () => {
    const result = defaultWorkerCount(64, { availableParallelism: 64, cpuLimit: limit(2) });
    expect(result.workers).toBe(2);
    expect(result.source).toMatch(/^cgroup CPU limit 2 \(\/sys\/fs\/cgroup\/cpu\.max\)$/);
  });

  it('rounds a fractional limit up, and never goes below 1', () => {
    expect(defaultWorkerCount(64, { availableParallelism: 8, cpuLimit: limit(1.5) }).workers).toBe(
      2,
    );
    expect(defaultWorkerCount(64, { availableParallelism: 8, cpuLimit: limit(0.1) }).workers).toBe(
      1,
    );
  });

  it('a limit above the CPU count (or none) leaves availableParallelism in charge', () => {
    const loose = defaultWorkerCount(64, { availableParallelism: 4, cpuLimit: limit(16) });
    expect(loose).toEqual({ workers: 4, source: 'os.availableParallelism() = 4' });
    expect(defaultWorkerCount(64, { availableParallelism: 4, cpuLimit: undefined }).workers).toBe(
      4,
    );
  });

  it('is capped at the maximum worker count', () => {
    expect(defaultWorkerCount(64, { availableParallelism: 128, cpuLimit: undefined }).workers).toBe(
      64,
    );
  });

  it(`on this machine and this Node (${process.version}): min(availableParallelism, ceil(limit))`, () => {
    // Node 20 ignores the cgroup limit in availableParallelism(); newer libuv may honour it. The
    // formula is right either way, and this runs under every Node version .ci/run tests.
    const cpuLimit = readCpuLimit();
    const expected = Math.min(
      64,
      os.availableParallelism(),
      cpuLimit ? Math.max(1, Math.ceil(cpuLimit.cpus)) : Infinity,
    );
    expect(defaultWorkerCount(64).workers).toBe(expected);
    expect(expected).toBeGreaterThanOrEqual(1);
  });
});
