// The schedule of a chaos phase as fast-check commands: each command's parameters come from the
// run's seed, so a seed (and fast-check's path) replays the same step list. Client commands start
// a bounded background activity and return; faults act at once (a stop resumes in the background).
import fc from 'fast-check';
import * as clients from './clients.js';
import * as faults from './faults.js';
import type { ChaosModel, World } from './world.js';

type Cmd = fc.AsyncCommand<ChaosModel, World>;

/** A command built from a description and an action; `check` guards the model's bounds. */
function command(
  description: string,
  act: (world: World, model: ChaosModel) => Promise<string | void>,
  check: (model: Readonly<ChaosModel>) => boolean = () => true,
): Cmd {
  return {
    check: (model) => check(model),
    async run(model, world) {
      if (world.ledger.over) return;
      const said = await act(world, model);
      world.ledger.step(said ? `${description}: ${said}` : description);
    },
    toString: () => description,
  };
}

function background(description: string, start: (world: World) => Promise<void>): Cmd {
  return command(description, async (world) => world.spawn(description, start(world)));
}

const apiCall = fc.constantFrom<clients.ApiCall>('hello', 'hello', 'delay', 'work', 'hash', 'root');

export function chaosCommands(workerTimeoutMs: number): Array<fc.Arbitrary<Cmd>> {
  return [
    // Time passing, so the activities overlap the faults (listed twice: chosen more often).
    ...[0, 1].map(() =>
      fc
        .integer({ min: 100, max: 1_500 })
        .map((ms) => command(`pause ${ms} ms`, () => new Promise((r) => setTimeout(r, ms)))),
    ),
    ...[0, 1].map(() =>
      fc
        .record({
          calls: fc.array(apiCall, { minLength: 5, maxLength: 60 }),
          keepAlive: fc.boolean(),
          concurrency: fc.integer({ min: 1, max: 8 }),
        })
        .map(({ calls, keepAlive, concurrency }) =>
          background(
            `load ${calls.length} requests, ${keepAlive ? 'keep-alive' : 'new connections'}, ${concurrency} at once`,
            (w) => clients.normalLoad(w.target, calls, keepAlive, concurrency),
          ),
        ),
    ),
    fc
      .record({ count: fc.integer({ min: 2, max: 20 }), after: fc.integer({ min: 0, max: 200 }) })
      .map(({ count, after }) =>
        background(`pipeline ${count} × /api/delay then destroy after ${after} ms`, (w) =>
          clients.pipelinedDestroy(w.target, count, after),
        ),
      ),
    fc
      .record({
        count: fc.integer({ min: 1, max: 200 }),
        hold: fc.integer({ min: 100, max: 3_000 }),
      })
      .map(({ count, hold }) =>
        background(`never-reading client: ${count} pipelined, held ${hold} ms`, (w) =>
          clients.neverReading(w.target, count, hold),
        ),
      ),
    fc
      .constantFrom('/api/hello', '/api/delay?ms=200', '/')
      .map((path) => background(`half-open GET ${path}`, (w) => clients.halfOpen(w.target, path))),
    fc
      .record({ count: fc.integer({ min: 1, max: 30 }), gap: fc.integer({ min: 5, max: 100 }) })
      .map(({ count, gap }) =>
        background(`slow reader: ${count} pipelined, 256 B every ${gap} ms`, (w) =>
          clients.slowReader(w.target, count, gap),
        ),
      ),
    fc
      .record({
        declared: fc.integer({ min: 100, max: 90_000 }),
        sent: fc.integer({ min: 0, max: 5_000 }),
        after: fc.integer({ min: 0, max: 500 }),
      })
      .map(({ declared, sent, after }) =>
        background(
          `aborted upload: POST /api/hash Content-Length ${declared}, ${Math.min(sent, declared)} B, destroy after ${after} ms`,
          (w) => clients.abortedUpload(w.target, declared, sent, after),
        ),
      ),
    fc
      .record({
        port: fc.constantFrom('api', 'manager'),
        count: fc.integer({ min: 10, max: 800 }),
        hold: fc.integer({ min: 200, max: 3_000 }),
      })
      .map(({ port, count, hold }) => {
        const n = port === 'manager' ? Math.min(count, 150) : count;
        return background(
          `idle flood: ${n} connections to the ${port} port, held ${hold} ms`,
          (w) =>
            clients.idleFlood(port === 'api' ? w.target.apiPort : w.target.managerPort, n, hold),
        );
      }),
    fc
      .record({ timeout: fc.constantFrom(0.1, 0.25, 0.5, 1, 2, 5, 10), openMetrics: fc.boolean() })
      .map(({ timeout, openMetrics }) =>
        background(
          `scrape /metrics, timeout ${timeout} s, ${openMetrics ? 'OpenMetrics' : 'text'}`,
          (w) => clients.scrape(w.target, timeout, openMetrics),
        ),
      ),
    fc
      .nat(7)
      .map((index) =>
        command(`SIGKILL ready worker #${index}`, (w) => faults.killWorker(w.faults, index)),
      ),
    fc
      .record({
        index: fc.nat(7),
        ms: fc.integer({ min: 200, max: Math.round(workerTimeoutMs * 2.5) }),
      })
      .map(({ index, ms }) =>
        command(`SIGSTOP ready worker #${index} for ${ms} ms`, async (w) => {
          const [said, resumed] = await faults.stopWorker(w.faults, index, ms);
          w.spawn('SIGCONT of a stopped worker', resumed);
          return said;
        }),
      ),
    fc
      .integer({ min: 200, max: 1_500 })
      .map((ms) =>
        command(`SIGSTOP manager for ${ms} ms`, (w) => faults.stopManager(w.faults, ms)),
      ),
    fc
      .record({
        signal: fc.constantFrom('SIGHUP', 'SIGTTIN', 'SIGTTOU'),
        count: fc.integer({ min: 1, max: 4 }),
        gap: fc.integer({ min: 20, max: 300 }),
      })
      .map(({ signal, count, gap }) => {
        const step = signal === 'SIGTTIN' ? 1 : signal === 'SIGTTOU' ? -1 : 0;
        return command(
          `${signal} × ${count}, ${gap} ms apart`,
          async (w, model) => {
            model.workers += step * count;
            await faults.signalStorm(w.faults, signal, count, gap);
          },
          // Within bounds even if no signal merges: at least 1 worker, at most the model's max.
          (model) =>
            model.workers + step * count >= 1 && model.workers + step * count <= model.maxWorkers,
        );
      }),
    fc.constant(
      command('remove the metrics socket directory', async (w) => faults.removeSocketDir(w.faults)),
    ),
  ];
}
