// The metrics thread's calls to the main thread, both sides and the handlers: one message each
// way, with a deadline. The main thread hands off every API connection and may be busy, paused or
// wedged; the endpoint then says so instead of holding its clients forever.
import type { LogLevel } from '../../config.js';
import { withDeadline } from '../../deadline.js';
import { HttpError, type HttpErrorJSON } from '../../http-errors.js';
import type { Logger } from '../../logger.js';
import { snapshotOf, type MetricsSnapshot } from '../../metrics/snapshot.js';
import type { StatusResponse } from '../supervision/lifecycle.js';
import type { SupervisionMetrics } from '../supervision/supervision-metrics.js';
import type { Supervisor } from '../supervision/supervisor.js';

export interface MainCalls {
  /** The main thread answers at all (its event loop turns): /livez. */
  live: { args: []; answer: null };
  status: { args: []; answer: StatusResponse };
  /** A rolling reload; answers the number of workers it replaces. */
  reload: { args: []; answer: number };
  scale: { args: [workers: number]; answer: null };
  setLogLevel: { args: [level: LogLevel]; answer: null };
  managerMetrics: { args: []; answer: MetricsSnapshot };
}

type MainCallName = keyof MainCalls;
type Args<K extends MainCallName> = MainCalls[K]['args'];
type Answer<K extends MainCallName> = MainCalls[K]['answer'];

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
 * A failed call's `error` is an HttpError the endpoint answers with (503 shutting_down), or, from
 * a bug, a message (500). `late`: the call reached the main thread after its runBy and was not run.
 */
export type MainReply =
  | { type: 'answer'; callId: number; ok: true; value: unknown }
  | { type: 'answer'; callId: number; ok: false; error: HttpErrorJSON | string }
  | { type: 'late'; callId: number };

/** How long an endpoint request waits for the main thread before answering 503. */
export const MAIN_THREAD_DEADLINE_MS = 2_000;

/**
 * How long before a call's deadline the main thread stops running it: the answer's way back to a
 * thread short of CPU. A quarter of a short deadline, so the main thread has most of it.
 */
export function lateCallMarginMs(deadlineMs: number): number {
  return Math.min(250, Math.floor(deadlineMs / 4));
}

/** Enough to know since when the main thread is silent. */
const MAX_UNANSWERED = 1_000;

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
   * When each call not replied to yet was sent, oldest first. The main thread reads its messages
   * in order: a reply to a call proves it reached every earlier one.
   */
  private readonly unanswered = new Map<number, number>();
  private nextCallId = 1;

  constructor(private readonly post: (message: MainCallMessage) => void) {}

  /** Rejects with an HttpError that is the endpoint's answer, or a bug's error. */
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

  /** How long the main thread has been silent, at least: since its oldest unanswered call. */
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
 * The main thread's side: runs a call unless it arrived after its runBy. The endpoint has then
 * answered 503, and a command its client was told failed must not happen anyway (a client obeying
 * Retry-After would reload twice). `late` also shows the metrics thread the main thread turns.
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
