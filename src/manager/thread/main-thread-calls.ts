// The metrics thread's calls to the main thread (the supervisor's state, a command, the manager's
// own metrics), both sides: one message each way, with a deadline. The main thread hands off
// every API connection and may be busy, paused or wedged; the endpoint then says so instead of
// holding its clients forever.
import type { LogLevel } from '../../config.js';
import { withDeadline } from '../../deadline.js';
import { HttpError, type HttpErrorJSON } from '../../http-errors.js';
import type { Logger } from '../../logger.js';
import { snapshotOf, type MetricsSnapshot } from '../../metrics/snapshot.js';
import type { StatusResponse } from '../supervision/lifecycle.js';
import type { SupervisionMetrics } from '../supervision/supervision-metrics.js';
import type { Supervisor } from '../supervision/supervisor.js';

/** Every call, with its arguments and its answer; the main thread runs MainCallHandlers. */
export interface MainCalls {
  /** The main thread answers at all (its event loop turns): /livez. */
  live: { args: []; answer: null };
  status: { args: []; answer: StatusResponse };
  /** A rolling reload; answers the number of workers it replaces. */
  reload: { args: []; answer: number };
  scale: { args: [workers: number]; answer: null };
  setLogLevel: { args: [level: LogLevel]; answer: null };
  /** The supervision metrics and the main thread's own default metrics, for a scrape. */
  managerMetrics: { args: []; answer: MetricsSnapshot };
}

type MainCallName = keyof MainCalls;
type Args<K extends MainCallName> = MainCalls[K]['args'];
type Answer<K extends MainCallName> = MainCalls[K]['answer'];

/** The calls that change something (the others read). */
const COMMANDS: ReadonlySet<MainCallName> = new Set(['reload', 'scale', 'setLogLevel']);

export type MainCallHandlers = {
  [K in MainCallName]: (...args: Args<K>) => Answer<K> | Promise<Answer<K>>;
};

export interface MainCallMessage<K extends MainCallName = MainCallName> {
  type: 'call';
  callId: number;
  name: K;
  args: Args<K>;
  /** Date.now() (one clock for both threads) past which the endpoint has answered 503. */
  expiresAt: number;
  /** Date.now() past which the main thread does not run the call: its answer would be late. */
  runBy: number;
}

/**
 * The main thread's reply. A failed call's `error` is an HttpError the endpoint answers with as
 * it is (503 shutting_down), or, from a bug, a message (the endpoint answers 500). `late`: the
 * call reached the main thread after its runBy and was not run.
 */
export type MainReply =
  | { type: 'answer'; callId: number; ok: true; value: unknown }
  | { type: 'answer'; callId: number; ok: false; error: HttpErrorJSON | string }
  | { type: 'late'; callId: number };

/** How long an endpoint request waits for the main thread before answering 503. */
export const MAIN_THREAD_DEADLINE_MS = 2_000;

/**
 * How long before a call's deadline the main thread stops running it: the answer's way back to a
 * thread that may be short of CPU. A quarter of a short deadline (a scrape fitted to a short
 * Prometheus timeout), so that the main thread always has most of the deadline to reach the call.
 */
export function lateCallMarginMs(deadlineMs: number): number {
  return Math.min(250, Math.floor(deadlineMs / 4));
}

/** Calls remembered as unanswered at most: enough to know since when the main thread is silent. */
const MAX_UNANSWERED = 1_000;

/** The main thread did not answer in time (it is busy, stopped or wedged). */
export class MainThreadUnresponsiveError extends HttpError {
  constructor(deadlineMs: number) {
    super(
      503,
      'manager_unresponsive',
      `the manager's main thread did not answer within ${deadlineMs} ms`,
      { headers: { 'Retry-After': '1' } },
    );
  }
}

/** The metrics thread's side: sends calls and settles them with the main thread's replies. */
export class MainThreadCalls {
  private readonly pending = new Map<number, (reply: MainReply) => void>();
  /**
   * When each call the main thread has not replied to yet was sent (its deadline may have passed),
   * oldest first. The main thread reads its messages in order: a reply to a call proves it
   * reached every earlier one.
   */
  private readonly unanswered = new Map<number, number>();
  private nextCallId = 1;

  constructor(private readonly post: (message: MainCallMessage) => void) {}

  /** The call's answer; rejects with an HttpError that is the endpoint's answer, or a bug's. */
  async call<K extends MainCallName>(
    name: K,
    args: Args<K>,
    deadlineMs = MAIN_THREAD_DEADLINE_MS,
  ): Promise<Answer<K>> {
    const callId = this.nextCallId++;
    const now = Date.now();
    const expiresAt = now + deadlineMs;
    const runBy = expiresAt - lateCallMarginMs(deadlineMs);
    this.post({ type: 'call', callId, name, args, expiresAt, runBy });
    // Past the cap, only the oldest are kept: they are what says since when it is silent.
    if (this.unanswered.size < MAX_UNANSWERED) this.unanswered.set(callId, now);
    const replied = new Promise<MainReply>((resolve) => this.pending.set(callId, resolve));
    // A reply after the deadline finds nobody waiting.
    const reply = await withDeadline(replied, deadlineMs, undefined);
    this.pending.delete(callId);
    // Late: 503 now, not at the deadline.
    if (reply === undefined || reply.type === 'late') {
      throw new MainThreadUnresponsiveError(deadlineMs);
    }
    if (reply.ok) return reply.value as Answer<K>;
    throw typeof reply.error === 'string'
      ? new Error(reply.error)
      : HttpError.fromJSON(reply.error);
  }

  /**
   * Milliseconds since the oldest call the main thread has not replied to was sent (0 when it has
   * replied to all): how long it has been silent, at least.
   */
  unansweredForMs(now = Date.now()): number {
    for (const sentAt of this.unanswered.values()) return now - sentAt;
    return 0;
  }

  onReply(reply: MainReply): void {
    // The main thread has read every call sent before this one too.
    for (const id of this.unanswered.keys()) {
      if (id > reply.callId) break;
      this.unanswered.delete(id);
    }
    this.pending.get(reply.callId)?.(reply);
  }
}

/**
 * The main thread's side: runs a call, unless it reached the main thread after its runBy. The
 * endpoint will have answered 503 by the time the answer is back, and a command its client was
 * told failed must not happen anyway (a client obeying Retry-After would reload twice). The
 * `late` reply also shows the metrics thread that the main thread turns again.
 */
export async function runCall<K extends MainCallName>(
  handlers: MainCallHandlers,
  call: MainCallMessage<K>,
  logger: Logger,
): Promise<MainReply> {
  const { callId, name } = call;
  if (Date.now() > call.runBy) {
    // A command not run is worth a line; a probe or a read is not (after a long stall there may
    // be many, one per request that waited).
    logger[COMMANDS.has(name) ? 'warn' : 'debug'](
      { call: name, lateMs: Date.now() - call.expiresAt },
      'manager endpoint call reached the main thread too late; not run (answered 503)',
    );
    return { type: 'late', callId };
  }
  try {
    return { type: 'answer', callId, ok: true, value: await handlers[name](...call.args) };
  } catch (error) {
    if (error instanceof HttpError)
      return { type: 'answer', callId, ok: false, error: error.toJSON() };
    logger.error({ err: error, call: name }, 'manager endpoint call failed');
    return { type: 'answer', callId, ok: false, error: String(error) };
  }
}

/** What the main thread does when the endpoint calls. */
export function mainThreadHandlers(deps: {
  supervisor: Supervisor;
  managerMetrics: SupervisionMetrics;
  logger: Logger;
  /** Sets the level of the manager, its metrics thread and every worker. */
  setLogLevel(level: LogLevel): void;
}): MainCallHandlers {
  const { supervisor, managerMetrics, logger } = deps;
  // Checked where the command runs, so nothing can start shutting down in between.
  const refuseWhileStopping = () => {
    if (supervisor.shuttingDown)
      throw new HttpError(503, 'shutting_down', 'the cluster is shutting down');
  };
  return {
    live: () => null,
    status: () => supervisor.status(),
    reload: () => {
      refuseWhileStopping();
      logger.info('rolling reload requested over HTTP');
      void supervisor.reload();
      return supervisor.desiredWorkers;
    },
    scale: (workers) => {
      refuseWhileStopping();
      logger.info({ workers }, 'scale requested over HTTP');
      supervisor.scaleTo(workers);
      return null;
    },
    setLogLevel: (level) => {
      deps.setLogLevel(level);
      return null;
    },
    managerMetrics: () => snapshotOf(managerMetrics.registry),
  };
}
