// The stack watchdog's thread (started by stack-watchdog.ts). It watches a counter the main thread
// bumps with every heartbeat; when the counter stands still for `stallMs`, the main thread is
// stuck inside something, and this thread reads its JavaScript stack through the inspector
// (Debugger.pause works even in a tight loop: V8 interrupts the running code) and writes it as
// one JSON line to the report pipe the manager reads. The manager kills a silent worker on its
// own clock and logs the last report with the kill; nothing here can delay that.
import { writeSync } from 'node:fs';
import { Session } from 'node:inspector';
import { workerData } from 'node:worker_threads';
import type { StallReport } from '../protocol.js';

export interface WatchdogThreadData {
  progress: Int32Array;
  reportFd: number;
  stallMs: number;
  captureTimeoutMs: number;
}

const MAX_FRAMES = 32;
const MAX_FRAME_CHARS = 240;

interface CallFrame {
  functionName: string;
  url: string;
  location: { scriptId: string; lineNumber: number; columnNumber: number };
}

const { progress, reportFd, stallMs, captureTimeoutMs } = workerData as WatchdogThreadData;
// Connected only while capturing: a session left connected makes Node print "Waiting for the
// debugger to disconnect..." when the worker exits.
const session = new Session();

function post(method: string, params: object = {}): Promise<unknown> {
  return new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
  );
}

// The frames are in the event itself: the main thread is resumed at once, whoever asked for the
// pause, so it never stays paused (a pause landing after a capture gave up included).
let onPaused: ((frames: CallFrame[]) => void) | null = null;
session.on('Debugger.paused', (message: { params: { callFrames: CallFrame[] } }) => {
  onPaused?.(message.params.callFrames);
  onPaused = null;
  void post('Debugger.resume').catch(() => undefined);
});

/** Pauses the main thread and reads its call frames; rejects after captureTimeoutMs. */
async function captureStack(): Promise<CallFrame[]> {
  // Call frames name scripts by id; the urls arrive as events while the debugger is enabled.
  const urls = new Map<string, string>();
  const onScript = (message: { params: { scriptId: string; url: string } }) =>
    urls.set(message.params.scriptId, message.params.url);
  session.on('Debugger.scriptParsed', onScript);
  let timer: NodeJS.Timeout | undefined;
  session.connectToMainThread();
  try {
    const paused = new Promise<CallFrame[]>((resolve) => (onPaused = resolve));
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), captureTimeoutMs);
    });
    // Both calls are served on the main thread between two JavaScript instructions (V8
    // interrupts): they cannot be answered while it is stopped or inside a native call.
    void post('Debugger.enable')
      .then(() => post('Debugger.pause'))
      .catch(() => undefined);
    const frames = await Promise.race([paused, deadline]);
    return frames.map((f) => ({ ...f, url: urls.get(f.location.scriptId) ?? f.url }));
  } finally {
    clearTimeout(timer);
    onPaused = null;
    session.off('Debugger.scriptParsed', onScript);
    // Disabling drops a pause still pending, and the debugger's bookkeeping with it;
    // disconnecting resumes the main thread if a late pause still holds it.
    void post('Debugger.disable')
      .catch(() => undefined)
      .finally(() => session.disconnect());
  }
}

function describe(frame: CallFrame): string {
  const where = `${frame.url || '<anonymous>'}:${frame.location.lineNumber + 1}:${frame.location.columnNumber + 1}`;
  return `${frame.functionName || '<anonymous>'} (${where})`.slice(0, MAX_FRAME_CHARS);
}

async function report(stalledMs: number): Promise<void> {
  let frames: string[] | null = null;
  let note: string | null = null;
  try {
    const callFrames = await captureStack();
    frames = callFrames.slice(0, MAX_FRAMES).map(describe);
    if (callFrames.length > MAX_FRAMES) note = `${callFrames.length - MAX_FRAMES} outer frames cut`;
  } catch {
    note = `the main thread did not pause within ${captureTimeoutMs} ms (blocked outside JavaScript?)`;
  }
  const line: StallReport = { type: 'stall-report', stalledMs, frames, note };
  try {
    writeSync(reportFd, `${JSON.stringify(line)}\n`);
  } catch {
    // The manager is gone or not reading: nobody to tell.
  }
}

let seen = Atomics.load(progress, 0);
let progressAt = performance.now();
let reported = false;
let capturing = false;
// This interval also keeps the thread alive (a pending inspector call does not).
setInterval(
  () => {
    const now = performance.now();
    const current = Atomics.load(progress, 0);
    if (current !== seen) {
      seen = current;
      progressAt = now;
      reported = false;
      return;
    }
    if (reported || capturing || now - progressAt < stallMs) return;
    reported = true;
    capturing = true;
    void report(Math.round(now - progressAt)).finally(() => (capturing = false));
  },
  Math.max(25, Math.floor(stallMs / 8)),
);
