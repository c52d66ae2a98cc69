// What the chaos run did and what it found: the faults it injected (so the invariants can tell a
// death it caused from one it did not), the windows the manager was deliberately stopped, the
// steps of the schedule with their times, and the violations.

export interface Violation {
  atMs: number;
  invariant: string;
  message: string;
}

export class Ledger {
  readonly startedAt = Date.now();
  readonly steps: string[] = [];
  readonly violations: Violation[] = [];
  /** Worker SIGKILLs sent (each may become one `crash` restart). */
  workerKills = 0;
  /** Worker SIGSTOPs sent (each may become one `hung` restart). */
  workerStops = 0;
  /** Last time a worker was killed, stopped or the pool reshaped: readiness may dip after it. */
  lastWorkerFaultAt = 0;
  /** [from, to] epoch ms during which the manager was stopped (plus a grace after SIGCONT). */
  readonly managerStops: Array<[number, number]> = [];

  now(): number {
    return Date.now() - this.startedAt;
  }

  step(description: string): void {
    this.steps.push(`${(this.now() / 1000).toFixed(1).padStart(6)}s ${description}`);
  }

  /** Set once the manager is gone: nothing left to check, the run ends. */
  over: string | undefined;
  /** Repeats of a violation already recorded (same invariant, same first 60 characters). */
  private readonly repeats = new Map<string, number>();

  violate(invariant: string, message: string): void {
    const key = `${invariant}:${message.slice(0, 60)}`;
    const seen = this.repeats.get(key);
    this.repeats.set(key, (seen ?? 0) + 1);
    if (seen !== undefined) return;
    const violation = { atMs: this.now(), invariant, message };
    this.violations.push(violation);
    console.error(
      `[chaos] VIOLATION ${invariant} at ${(violation.atMs / 1000).toFixed(1)}s: ${message}`,
    );
  }

  /** How many times each recorded violation was seen again (a probe failing for seconds). */
  repeated(): Array<[string, number]> {
    return [...this.repeats].filter(([, n]) => n > 1);
  }

  end(why: string): void {
    this.over ??= why;
  }

  /** True when [from, to] overlaps a deliberate manager stop (or one is running). */
  managerStoppedDuring(from: number, to: number): boolean {
    return this.managerStops.some(([start, end]) => from <= end && to >= start);
  }
}
