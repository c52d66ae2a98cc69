// The metrics thread's way to ask the main thread something (the supervisor's state, a command,
// the manager's own metrics): one message each way, with a deadline. The main thread hands off
// every API connection and may be busy, paused or wedged; the endpoint then says so instead of
// holding its clients forever.
import type { LogLevel } from '../../config.js';
import { HttpError, type HttpErrorJSON } from '../../http-errors.js';
import type { MetricsSnapshot } from '../../metrics/snapshot.js';
import type { StatusResponse } from '../supervision/status-types.js';

/**
 * Every call the metrics thread makes to the main thread, with its arguments and its answer. The
 * thread calls by name (MainThreadCalls.call); the main thread runs MainCallHandlers, so a call
 * added here needs its handler (main-thread-handlers.ts), and its name in COMMANDS if it changes
 * something.
 */
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

export type MainCallName = keyof MainCalls;

/** The calls that change something (the others read). */
export const COMMANDS: ReadonlySet<MainCallName> = new Set(['reload', 'scale', 'setLogLevel']);
type Args<K extends MainCallName> = MainCalls[K]['args'];
type Answer<K extends MainCallName> = MainCalls[K]['answer'];

/** What the main thread does for each call. */
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
  /**
   * Date.now() past which the main thread does not run the call (it says so with a LateCall):
   * its answer could not be back before expiresAt.
   */
  runBy: number;
}

/**
 * A failed call's `error`: an HttpError the endpoint answers with as it is (503 shutting_down),
 * or, from a bug, a message (the endpoint answers 500).
 */
export type MainAnswer =
  | { type: 'answer'; callId: number; ok: true; value: unknown }
  | { type: 'answer'; callId: number; ok: false; error: HttpErrorJSON | string };

/** The call reached the main thread after its runBy and was not run (the main thread answers). */
export interface LateCall {
  type: 'late';
  callId: number;
}

/** How long an endpoint request waits for the main thread before answering 503. */
export const MAIN_THREAD_DEADLINE_MS = 2_000;

/**
 * How long before a call's deadline the main thread stops running it: the answer's way back to a
 * thread that may be short of CPU. 250 ms for the endpoint's 2 s calls; a quarter of a shorter
 * deadline (a scrape fitted to a short Prometheus timeout), so that the main thread always has
 * most of the deadline to reach the call.
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

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  deadlineMs: number;
}

export class MainThreadCalls {
  private readonly pending = new Map<number, Pending>();
  /**
   * When each call the main thread has not replied to yet was sent (its deadline may have passed),
   * oldest first. The main thread reads its messages in order: a reply to a call proves it
   * reached every earlier one.
   */
  private readonly unanswered = new Map<number, number>();
  private nextCallId = 1;

  constructor(private readonly post: (message: MainCallMessage) => void) {}

  /** The call's answer; rejects with an HttpError that is the endpoint's answer, or a bug's. */
  call<K extends MainCallName>(
    name: K,
    args: Args<K>,
    deadlineMs = MAIN_THREAD_DEADLINE_MS,
  ): Promise<Answer<K>> {
    const callId = this.nextCallId++;
    return new Promise<Answer<K>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(callId);
        reject(new MainThreadUnresponsiveError(deadlineMs));
      }, deadlineMs);
      this.pending.set(callId, {
        resolve: resolve as (value: unknown) => void,
        reject,
        timer,
        deadlineMs,
      });
      const now = Date.now();
      // Past the cap, only the oldest are kept: they are what says since when it is silent.
      if (this.unanswered.size < MAX_UNANSWERED) this.unanswered.set(callId, now);
      const expiresAt = now + deadlineMs;
      const runBy = expiresAt - lateCallMarginMs(deadlineMs);
      this.post({ type: 'call', callId, name, args, expiresAt, runBy });
    });
  }

  /**
   * Milliseconds since the oldest call the main thread has not replied to was sent (0 when it has
   * replied to all): how long it has been silent, at least.
   */
  unansweredForMs(now = Date.now()): number {
    for (const sentAt of this.unanswered.values()) return now - sentAt;
    return 0;
  }

  /** The main thread did not run the call (it came too late): 503 now, not at the deadline. */
  onLate(callId: number): void {
    this.replied(callId);
    const pending = this.pending.get(callId);
    if (!pending) return;
    this.pending.delete(callId);
    clearTimeout(pending.timer);
    pending.reject(new MainThreadUnresponsiveError(pending.deadlineMs));
  }

  /** The main thread's answer; one that comes after its deadline finds nobody waiting. */
  onAnswer(answer: MainAnswer): void {
    this.replied(answer.callId);
    const pending = this.pending.get(answer.callId);
    if (!pending) return;
    this.pending.delete(answer.callId);
    clearTimeout(pending.timer);
    if (answer.ok) return pending.resolve(answer.value);
    const { error } = answer;
    pending.reject(typeof error === 'string' ? new Error(error) : HttpError.fromJSON(error));
  }

  /** The main thread replied to `callId`, so it has read every call sent before it too. */
  private replied(callId: number): void {
    for (const id of this.unanswered.keys()) {
      if (id > callId) return;
      this.unanswered.delete(id);
    }
  }
}
