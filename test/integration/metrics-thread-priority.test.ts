// The metrics thread yields the CPU to the API: in the real manager process exactly one thread
// (the metrics thread) runs at METRICS_THREAD_NICE, the main thread that accepts every API
// connection and the workers keep nice 0; METRICS_THREAD_NICE=0 changes nothing.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startCluster } from '../helpers/cluster.js';

/** Nice value of every thread of a process, by thread id (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNices(pid: number): Map<number, number> {
  const nices = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // After "pid (comm) ": comm may hold spaces, so count fields from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    nices.set(Number(tid), Number(fields[16]));
  }
  return nices;
}

const niced = (nices: Map<number, number>) => [...nices.values()].filter((nice) => nice !== 0);

describe('the metrics thread priority', () => {
  it('lowers the metrics thread alone, by default to nice 10', async () => {
    const cluster = await startCluster({ env: { WORKERS: '1' } });
    try {
      // A scrape answered: the thread is up and has set its priority.
      expect((await fetch(`${cluster.managerUrl}/metrics`)).status).toBe(200);
      const manager = threadNices(cluster.proc.pid!);
      expect(niced(manager)).toEqual([10]);
      expect(manager.get(cluster.proc.pid!)).toBe(0);
      const [worker] = (await cluster.status()).workers;
      expect(niced(threadNices(worker!.pid))).toEqual([]);
    } finally {
      await cluster.stop();
    }
  });

  it('leaves every thread alone with METRICS_THREAD_NICE=0', async () => {
    const cluster = await startCluster({ env: { WORKERS: '1', METRICS_THREAD_NICE: '0' } });
    try {
      expect((await fetch(`${cluster.managerUrl}/metrics`)).status).toBe(200);
      expect(niced(threadNices(cluster.proc.pid!))).toEqual([]);
    } finally {
      await cluster.stop();
    }
  });
});
