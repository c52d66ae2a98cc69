// The supervisor's decisions in milliseconds: stand-in workers and a manual clock instead of
// processes and waiting. The integration suite keeps what only real processes show (signals,
// sockets, Node's cluster); this suite covers every branch of the supervisor's logic.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startSupervisor, type Harness } from '../../../helpers/supervisor-harness.js';

/** Makes every live starting worker ready and settles. */
/** After a worker's end: how long (10 ms steps, at most 5 s) until the supervisor forks again. */
async function msUntilNextFork(h: Harness): Promise<number> {
  await h.settle();
  const before = h.forked.length;
  let waited = 0;
  while (h.forked.length === before && waited < 5_000) {
    h.clock.advance(10);
    waited += 10;
  }
  await h.settle();
  return waited;
}

async function readyAll(h: Harness): Promise<void> {
  for (const worker of h.live()) worker.ready();
  await h.settle();
}

const states = (h: Harness) => h.supervisor.list().map((w) => `${w.slot}:${w.state}`);

describe('spawn', () => {
  it('forks WORKERS workers, one per slot', async () => {
    const h = startSupervisor({ WORKERS: '3' });
    expect(h.forked.map((w) => w.slot)).toEqual([0, 1, 2]);
    expect(states(h)).toEqual(['0:starting', '1:starting', '2:starting']);
    await readyAll(h);
    expect(states(h)).toEqual(['0:ready', '1:ready', '2:ready']);
    expect(h.supervisor.status().manager.readyWorkers).toBe(3);
  });
});

describe('reap', () => {
  it('replaces a worker that served past WORKER_MIN_UPTIME_MS at once, in its slot', async () => {
    const h = startSupervisor();
    await readyAll(h);
    await h.healthyFor(6_000);
    h.forked[1]!.exit(1);
    await h.settle();
    expect(h.forked).toHaveLength(3);
    expect(h.forked[2]!.slot).toBe(1);
    expect(h.restarts).toEqual([{ slot: 1, reason: 'crash' }]);
    expect(h.supervisor.restartsOf(1)).toBe(1);
  });

  it('backs off exponentially, per slot, when a worker keeps dying young', async () => {
    const h = startSupervisor({ CRASH_LOOP_LIMIT: '100' });
    await readyAll(h);
    const delays: number[] = [];
    for (let death = 0; death < 5; death += 1) {
      const victim = h.inSlot(0)[0]!;
      victim.ready();
      victim.exit(1);
      delays.push(await msUntilNextFork(h));
    }
    // 100 ms doubling, capped at RESTART_BACKOFF_MAX_MS (1 s).
    expect(delays).toEqual([100, 200, 400, 800, 1000]);
    expect(h.inSlot(1)).toHaveLength(1);
  });

  it('gives up on a crash loop: exit code 1, no more forks', async () => {
    const h = startSupervisor({ CRASH_LOOP_LIMIT: '3' });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      h.inSlot(0)[0]!.exit(1);
      await h.settle();
      h.clock.advance(2_000);
      await h.settle();
    }
    expect(h.supervisor.shuttingDown).toBe(true);
    expect(h.supervisor.exitCode).toBe(1);
    const forks = h.forked.length;
    h.clock.advance(10_000);
    await h.settle();
    expect(h.forked).toHaveLength(forks);
  });

  it('retries a fork that started no process (EMFILE) with back-off, never as a crash loop', async () => {
    const h = startSupervisor({ CRASH_LOOP_LIMIT: '3' });
    await readyAll(h);
    const delays: number[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      h.inSlot(0)[0]!.failToSpawn();
      delays.push(await msUntilNextFork(h));
    }
    // Backed off as dying young does (100 ms doubling, capped at 1 s), past CRASH_LOOP_LIMIT.
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(h.supervisor.shuttingDown).toBe(false);
    // No worker of slot 0 died: nothing counted as its restart (slot 1, never beating, may be).
    expect(h.restarts.filter((r) => r.slot === 0)).toEqual([]);
  });

  it('does not restart a worker it asked to leave', async () => {
    const h = startSupervisor({ WORKERS: '2' });
    await readyAll(h);
    h.supervisor.scaleTo(1);
    await h.settle();
    expect(h.live().map((w) => w.slot)).toEqual([0]);
    expect(h.restarts).toEqual([{ slot: 1, reason: 'scale' }]);
    await h.healthyFor(10_000);
    expect(h.forked).toHaveLength(2);
  });
});

describe('murder', () => {
  it('kills a ready worker silent for WORKER_TIMEOUT_MS and replaces it (reason hung)', async () => {
    const h = startSupervisor();
    await readyAll(h);
    const [quiet, beating] = h.forked as [(typeof h.forked)[0], (typeof h.forked)[0]];
    for (let t = 0; t < 3_500; t += 250) {
      h.clock.advance(250);
      beating.beat();
    }
    expect(quiet.signals).toEqual(['SIGKILL']);
    expect(beating.signals).toEqual([]);
    await h.settle();
    expect(h.restarts).toEqual([{ slot: 0, reason: 'hung' }]);
    // It died young (ready 3 s < WORKER_MIN_UPTIME_MS): the replacement comes after a back-off.
    await h.healthyFor(250);
    expect(h.inSlot(0)).toHaveLength(1);
    expect(h.inSlot(0)[0]).not.toBe(quiet);
  });

  it('kills a worker not ready within WORKER_TIMEOUT_MS even if it beats', async () => {
    const h = startSupervisor({ WORKERS: '1' });
    const booting = h.forked[0]!;
    for (let t = 0; t < 3_500; t += 250) {
      h.clock.advance(250);
      booting.beat();
    }
    expect(booting.signals).toEqual(['SIGKILL']);
  });

  it('does not blame workers for the manager’s own stall', async () => {
    const h = startSupervisor();
    await readyAll(h);
    for (const w of h.live()) w.beat();
    h.clock.jump(10_000); // the manager was stopped; the workers' beats wait in the pipe
    expect(h.forked.every((w) => w.signals.length === 0)).toBe(true);
    for (const w of h.live()) w.beat();
    h.clock.advance(1_000);
    expect(h.forked.every((w) => w.signals.length === 0)).toBe(true);
    // A worker that stays silent after the stall is still killed on time.
    h.clock.advance(3_000);
    expect(h.forked.every((w) => w.signals.includes('SIGKILL'))).toBe(true);
  });
});

describe('recycle and replace', () => {
  it('replaces a worker over its request budget: the new one ready before the old drains', async () => {
    const h = startSupervisor({
      WORKERS: '1',
      WORKER_MAX_REQUESTS: '100',
      WORKER_MAX_REQUESTS_JITTER: '0',
    });
    await readyAll(h);
    const old = h.forked[0]!;
    old.beat({ requestsServed: 100 });
    h.clock.advance(500);
    await h.settle();
    expect(h.forked).toHaveLength(2);
    expect(old.draining).toBe(false);
    h.forked[1]!.ready();
    await h.settle();
    expect(old.sent).toContainEqual({ type: 'drain', reason: 'max_requests', timeoutMs: 1000 });
    expect(h.restarts).toEqual([{ slot: 0, reason: 'max_requests' }]);
    expect(h.live()).toEqual([h.forked[1]]);
  });

  it('keeps the old worker when its replacement fails to start', async () => {
    const h = startSupervisor({ WORKERS: '1' });
    await readyAll(h);
    const replaced = h.supervisor.replace(0, 'reload');
    await h.settle();
    h.forked[1]!.exit(1);
    expect(await replaced).toBe(false);
    expect(h.forked[0]!.alive).toBe(true);
    expect(h.forked[0]!.draining).toBe(false);
  });
});

describe('reload', () => {
  it('replaces one slot at a time; a reload asked for mid-reload runs once more', async () => {
    const h = startSupervisor({ WORKERS: '2' });
    await readyAll(h);
    const first = h.supervisor.reload();
    void h.supervisor.reload(); // coalesced into one more pass
    for (let step = 0; step < 20 && h.supervisor.reloading; step += 1) {
      await readyAll(h);
    }
    await first;
    // 2 original + 2 per pass, two passes.
    expect(h.forked).toHaveLength(6);
    expect(h.restarts.map((r) => `${r.slot}:${r.reason}`)).toEqual([
      '0:reload',
      '1:reload',
      '0:reload',
      '1:reload',
    ]);
    expect(h.live().map((w) => w.id)).toEqual([5, 6]);
  });

  it('never has fewer than N ready workers during a reload, whatever the order of events', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.integer({ min: 0, max: 99 }), { minLength: 40, maxLength: 200 }),
        async (n, choices) => {
          const h = startSupervisor({ WORKERS: String(n) }, { exitOnDrain: false });
          await readyAll(h);
          const done = h.supervisor.reload();
          let finished = false;
          void done.then(() => (finished = true));
          for (const choice of choices) {
            // Some pending event happens: a booting worker becomes ready, a draining one exits,
            // or time passes.
            const booting = h
              .live()
              .filter(
                (w) => !h.supervisor.list().find((m) => m.id === w.id && m.state !== 'starting'),
              );
            const draining = h.live().filter((w) => w.draining);
            const events = [
              ...booting.map((w) => () => w.ready()),
              ...draining.map((w) => () => w.exit(0)),
            ];
            if (events.length === 0 || choice % 5 === 0) await h.healthyFor(250);
            else events[choice % events.length]!();
            await h.settle();
            const ready = h.supervisor.list().filter((w) => w.state === 'ready').length;
            expect(ready).toBeGreaterThanOrEqual(n);
          }
          // Drive it to the end: every slot has a new worker, the old ones are gone.
          for (let i = 0; i < 50 && !finished; i += 1) {
            for (const w of h.live()) if (w.draining) w.exit(0);
            await readyAll(h);
          }
          expect(finished).toBe(true);
          expect(h.live().every((w) => w.id > n)).toBe(true);
          expect(h.live()).toHaveLength(n);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('scale', () => {
  it('forks into new slots going up, drains the highest slots going down', async () => {
    const h = startSupervisor({ WORKERS: '2' });
    await readyAll(h);
    h.supervisor.scaleTo(4);
    expect(h.live().map((w) => w.slot)).toEqual([0, 1, 2, 3]);
    await readyAll(h);
    h.supervisor.scaleTo(1);
    await h.settle();
    expect(h.live().map((w) => w.slot)).toEqual([0]);
    expect(h.restarts.map((r) => `${r.slot}:${r.reason}`).sort()).toEqual([
      '1:scale',
      '2:scale',
      '3:scale',
    ]);
    expect(h.supervisor.desiredWorkers).toBe(1);
  });

  it('cancels a backed-off restart of a slot scaled away', async () => {
    const h = startSupervisor({ WORKERS: '2' });
    await readyAll(h);
    h.inSlot(1)[0]!.exit(1); // died young: restart after a back-off
    await h.settle();
    h.supervisor.scaleTo(1);
    h.clock.advance(5_000);
    await h.settle();
    expect(h.live().map((w) => w.slot)).toEqual([0]);
  });
});

describe('shutdown', () => {
  it('drains every worker and resolves once all are gone', async () => {
    const h = startSupervisor({ WORKERS: '3' });
    await readyAll(h);
    await h.supervisor.shutdown();
    expect(h.live()).toEqual([]);
    expect(h.forked.every((w) => w.sent.some((m) => m.type === 'drain'))).toBe(true);
    expect(h.supervisor.exitCode).toBe(0);
  });

  it('kills a worker that has not left SHUTDOWN_TIMEOUT_MS (+2 s) after being asked', async () => {
    const h = startSupervisor({ WORKERS: '1' }, { exitOnDrain: false });
    await readyAll(h);
    let resolved = false;
    void h.supervisor.shutdown().then(() => (resolved = true));
    h.clock.advance(2_999);
    await h.settle();
    expect(h.forked[0]!.signals).toEqual([]);
    expect(resolved).toBe(false);
    h.clock.advance(1);
    await h.settle();
    expect(h.forked[0]!.signals).toEqual(['SIGKILL']);
    expect(resolved).toBe(true);
  });

  it('SIGTERMs a worker still booting instead of asking it to drain', async () => {
    const h = startSupervisor({ WORKERS: '1' });
    await h.supervisor.shutdown();
    expect(h.forked[0]!.signals).toEqual(['SIGTERM']);
    expect(h.forked[0]!.sent).toEqual([]);
  });
});
