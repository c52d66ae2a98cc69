// The metrics thread's way to ask the main thread something (the supervisor's state, a command,
// the manager's own metrics): one message each way, with a deadline. The main thread hands off
// every API connection and may be busy, paused or wedged; the endpoint then says so instead of
// holding its clients forever.
import { HttpError } from '../http-errors.js';
import type {
  CallMain,
  MainAnswer,
  MainCallName,
  MainCallResults,
  MainCalls,
} from './metrics-thread-protocol.js';

/** How long an endpoint request waits for the main thread before answering 503. */
export const MAIN_THREAD_DEADLINE_MS = 2_000;

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
}

export class MainThreadCalls {
  private readonly pending = new Map<number, Pending>();
  private nextCallId = 1;

  constructor(private readonly post: (message: CallMain) => void) {}

  call<K extends MainCallName>(
    name: K,
    args: MainCalls[K],
    deadlineMs = MAIN_THREAD_DEADLINE_MS,
  ): Promise<MainCallResults[K]> {
    const callId = this.nextCallId++;
    return new Promise<MainCallResults[K]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(callId);
        reject(new MainThreadUnresponsiveError(deadlineMs));
      }, deadlineMs);
      this.pending.set(callId, {
        resolve: resolve as (value: unknown) => void,
        reject,
        timer,
      });
      this.post({ type: 'call', callId, name, args, expiresAt: Date.now() + deadlineMs });
    });
  }

  /** The main thread's answer; one that comes after its deadline finds nobody waiting. */
  onAnswer(answer: MainAnswer): void {
    const pending = this.pending.get(answer.callId);
    if (!pending) return;
    this.pending.delete(answer.callId);
    clearTimeout(pending.timer);
    if (answer.ok) return pending.resolve(answer.value);
    const { refused } = answer;
    pending.reject(
      refused
        ? new HttpError(refused.status, refused.code, refused.message, {
            headers: refused.headers,
          })
        : new Error(answer.message),
    );
  }
}
