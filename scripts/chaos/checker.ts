// The continuous half of the invariants: while the schedule runs, probes /livez and /readyz
// (each must answer within 1 s), scrapes /metrics one scrape after another (200, counters never
// down, `promtool check metrics` on text), and compares worker deaths with the run's own kills.
import { parseExposition, decreases, restartsByReason, type Exposition } from './exposition.js';
import { Hang, request } from './http.js';
import type { Ledger } from './ledger.js';
import { promtoolCheck } from './promtool.js';
import { sleep } from './sockets.js';

export interface CheckerOptions {
  managerUrl: string;
  ledger: Ledger;
  /** Undefined: promtool is missing and the lint is skipped (said loudly by the caller). */
  promtool: string | undefined;
  /** After a worker fault, /readyz may say `no_ready_worker` for this long. */
  readinessGraceMs: number;
  /** The cluster's output so far, to quote when a worker died on its own. */
  logs: () => string;
  probeDeadlineMs?: number;
}

export interface Checker {
  /** The deaths counted so far, by reason (for the report). */
  restarts(): Record<string, number>;
  /** The last scrape, parsed. */
  lastScrape(): Exposition | undefined;
  /** Runs `work` while the checker holds no connection to the cluster (descriptor counts). */
  hushed<T>(work: () => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

const RELEVANT_LOG = /EMFILE|ENFILE|"level":"(error|fatal)"|worker died|uncaught/;

/** One log line, shortened to who said what (the JSON lines carry a stack trace each). */
function clue(line: string): string {
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const err = entry.err as { message?: string } | undefined;
    const parts = [entry.role, entry.pid, entry.msg, err?.message, entry.reason, entry.why];
    return parts.filter((part) => part !== undefined).join(' | ');
  } catch {
    return line.slice(0, 300);
  }
}

/** The last lines of the cluster's output that explain a death. */
export function deathClues(logs: string, lines = 6): string {
  return logs
    .split('\n')
    .filter((line) => RELEVANT_LOG.test(line))
    .slice(-lines)
    .map(clue)
    .join('\n    ');
}

export function startChecker(options: CheckerOptions): Checker {
  const { ledger, managerUrl } = options;
  const probeDeadlineMs = options.probeDeadlineMs ?? 1_000;
  let running = true;
  let last: Exposition | undefined;
  let first: Record<string, number> | undefined;
  let latest: Record<string, number> = {};
  const reported = { crash: 0, hung: 0, other: 0 };

  const probe = async (path: '/livez' | '/readyz') => {
    const started = Date.now();
    try {
      const answer = await request(`${managerUrl}${path}`, { deadlineMs: probeDeadlineMs });
      if (ledger.managerStoppedDuring(started, Date.now())) return;
      if (answer.status === 200) return;
      const excused =
        path === '/readyz' &&
        answer.body.includes('no_ready_worker') &&
        Date.now() - ledger.lastWorkerFaultAt < options.readinessGraceMs;
      if (!excused)
        ledger.violate('probes', `${path} answered ${answer.status}: ${answer.body.slice(0, 200)}`);
    } catch (error) {
      if (ledger.managerStoppedDuring(started, Date.now())) return;
      const why =
        error instanceof Hang ? `no answer within ${probeDeadlineMs} ms` : (error as Error).message;
      ledger.violate('probes', `${path}: ${why}`);
    }
  };

  const judgeRestarts = (byReason: Record<string, number>) => {
    latest = byReason;
    first ??= byReason;
    const delta = (reason: string) => (byReason[reason] ?? 0) - (first![reason] ?? 0);
    const clues = () => deathClues(options.logs());
    const crash = delta('crash');
    if (crash > ledger.workerKills && crash > reported.crash) {
      reported.crash = crash;
      ledger.violate(
        'no-unexplained-deaths',
        `${crash} worker(s) replaced for reason "crash" but the run SIGKILLed only ${ledger.workerKills}; cluster log:\n    ${clues()}`,
      );
    }
    const hung = delta('hung');
    if (hung > ledger.workerStops && hung > reported.hung) {
      reported.hung = hung;
      ledger.violate(
        'no-unexplained-deaths',
        `${hung} worker(s) killed as hung but the run SIGSTOPped only ${ledger.workerStops}; cluster log:\n    ${clues()}`,
      );
    }
    const known = new Set(['crash', 'hung', 'reload', 'scale']);
    const other = Object.keys(byReason)
      .filter((reason) => !known.has(reason))
      .reduce((sum, reason) => sum + delta(reason), 0);
    if (other > reported.other) {
      reported.other = other;
      ledger.violate(
        'no-unexplained-deaths',
        `workers replaced for reasons the run never caused: ${JSON.stringify(byReason)}`,
      );
    }
  };

  let linting: Promise<void> = Promise.resolve();
  let lintBusy = false;
  const scrapeOnce = async (openMetrics: boolean) => {
    const started = Date.now();
    const accept = openMetrics
      ? 'application/openmetrics-text;version=1.0.0'
      : 'text/plain;version=0.0.4';
    try {
      const answer = await request(`${managerUrl}/metrics`, {
        headers: { accept },
        deadlineMs: 5_000,
      });
      const stopped = ledger.managerStoppedDuring(started, Date.now());
      if (answer.status !== 200) {
        if (!stopped)
          ledger.violate(
            'scrape-answered',
            `checker's sequential scrape answered ${answer.status}: ${answer.body.slice(0, 200)}`,
          );
        return;
      }
      const exposition = parseExposition(answer.body);
      if (last) {
        for (const drop of decreases(last, exposition)) {
          ledger.violate(
            'counters-monotonic',
            `${drop.series} went down from ${drop.before} to ${drop.after} between two sequential scrapes`,
          );
        }
      }
      last = exposition;
      judgeRestarts(restartsByReason(exposition));
      if (!openMetrics && options.promtool && !lintBusy) {
        lintBusy = true;
        linting = promtoolCheck(options.promtool, answer.body).then((complaint) => {
          lintBusy = false;
          if (complaint)
            ledger.violate(
              'promtool',
              `promtool check metrics failed on a text scrape: ${complaint}`,
            );
        });
      }
    } catch (error) {
      if (ledger.managerStoppedDuring(started, Date.now())) return;
      ledger.violate('scrape-answered', `checker's sequential scrape: ${(error as Error).message}`);
    }
  };

  // While hushed, each loop finishes the request it is making and then waits.
  let hushes = 0;
  const busy = { probe: false, scrape: false };
  const probeLoop = (async () => {
    while (running && !ledger.over) {
      if (hushes === 0) {
        busy.probe = true;
        await Promise.all([probe('/livez'), probe('/readyz')]);
        busy.probe = false;
      }
      await sleep(250);
    }
  })();
  const scrapeLoop = (async () => {
    for (let i = 0; running && !ledger.over; i += 1) {
      if (hushes === 0) {
        busy.scrape = true;
        await scrapeOnce(i % 3 === 2);
        busy.scrape = false;
      }
      await sleep(500);
    }
  })();

  return {
    restarts: () => latest,
    lastScrape: () => last,
    async hushed(work) {
      hushes += 1;
      try {
        while (busy.probe || busy.scrape) await sleep(20);
        return await work();
      } finally {
        hushes -= 1;
      }
    },
    async stop() {
      running = false;
      await Promise.all([probeLoop, scrapeLoop]);
      await linting;
    },
  };
}
