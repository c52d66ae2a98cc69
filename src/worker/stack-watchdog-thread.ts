// The stack watchdog's thread: when the main thread's heartbeat counter stands still for `stallMs`,
// it reads that thread's stack through the inspector (Debugger.pause interrupts even a tight loop)
// and writes it as a JSON line to the manager's report pipe, then again mapped to src/ if time
// allows. Nothing here can delay the manager's kill of a silent worker.
import { writeSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { Worker, workerData } from 'node:worker_threads';
import { withDeadline } from '../deadline.js';
import type { StallReport } from '../protocol.js';
import { hasFilePositions } from '../source-positions.js';
import type { SourcePositionsData } from './source-positions-thread.js';

export interface WatchdogThreadData {
  progress: Int32Array;
  reportFd: number;
  stallMs: number;
  captureTimeoutMs: number;
}

const MAX_FRAMES = 32;
const MAX_FRAME_CHARS = 240;
/** Mapping a large bundle's frames takes a few hundred ms; one that takes this long is dropped. */
const MAPPING_TIMEOUT_MS = 10_000;

interface CallFrame {
  functionName: string;
  url: string;
  location: { scriptId: string; lineNumber: number; columnNumber: number };
}

const { progress, reportFd, stallMs, captureTimeoutMs } = workerData as WatchdogThreadData;
// Connected only while capturing: a session left connected makes Node print "Waiting for the
// debugger to disconnect..." when the worker exits.
const session = new Session();

// The frames are in the event itself: the main thread is resumed at once, whoever asked for the
// pause, so it never stays paused (a pause landing after a capture gave up included).
let onPaused: ((frames: CallFrame[]) => void) | null = null;
session.on('Debugger.paused', (message: { params: { callFrames: CallFrame[] } }) => {
  onPaused?.(message.params.callFrames);
  onPaused = null;
  void session.post('Debugger.resume').catch(() => undefined);
});

async function captureStack(): Promise<CallFrame[]> {
  // Call frames name scripts by id; the urls arrive as events while the debugger is enabled.
  const urls = new Map<string, string>();
  const onScript = (message: { params: { scriptId: string; url: string } }) =>
    urls.set(message.params.scriptId, message.params.url);
  session.on('Debugger.scriptParsed', onScript);
  session.connectToMainThread();
  try {
    const paused = new Promise<CallFrame[]>((resolve) => (onPaused = resolve));
    // Both calls are served on the main thread between two JavaScript instructions (V8
    // interrupts): they cannot be answered while it is stopped or inside a native call.
    void session
      .post('Debugger.enable')
      .then(() => session.post('Debugger.pause'))
      .catch(() => undefined);
    const frames = await withDeadline(paused, captureTimeoutMs, null);
    if (frames === null) throw new Error('timeout');
    return frames.map((f) => ({ ...f, url: urls.get(f.location.scriptId) ?? f.url }));
  } finally {
    onPaused = null;
    session.off('Debugger.scriptParsed', onScript);
    // Disabling drops a pause still pending, and the debugger's bookkeeping with it;
    // disconnecting resumes the main thread if a late pause still holds it.
    void session
      .post('Debugger.disable')
      .catch(() => undefined)
      .finally(() => session.disconnect());
  }
}

/** Whole: a position cut by the length bound could not be mapped. */
function describe(frame: CallFrame): string {
  const where = `${frame.url || '<anonymous>'}:${frame.location.lineNumber + 1}:${frame.location.columnNumber + 1}`;
  return `${frame.functionName || '<anonymous>'} (${where})`;
}

function send(stalledMs: number, frames: string[] | null, note: string | null): void {
  const line: StallReport = {
    type: 'stall-report',
    stalledMs,
    frames: frames && frames.map((f) => f.slice(0, MAX_FRAME_CHARS)),
    note,
  };
  try {
    writeSync(reportFd, `${JSON.stringify(line)}\n`);
  } catch {
    // The manager is gone or not reading: nobody to tell.
  }
}

/** The frames with source positions, from a throwaway thread (source-positions-thread.ts). */
function mapFrames(frames: string[]): Promise<string[] | null> {
  const thread = new Worker(new URL('./source-positions-thread.js', import.meta.url), {
    workerData: { frames } satisfies SourcePositionsData,
    // Room for reading dist/worker.js.map; past the cap the thread dies, not the worker.
    resourceLimits: { maxOldGenerationSizeMb: 64 },
  });
  thread.unref();
  const mapped = new Promise<string[] | null>((resolve) => {
    thread.once('message', resolve);
    thread.once('error', () => resolve(null));
    thread.once('exit', () => resolve(null));
  });
  return withDeadline(mapped, MAPPING_TIMEOUT_MS, null).finally(() => void thread.terminate());
}

async function report(stalledMs: number): Promise<void> {
  const progressAtCapture = Atomics.load(progress, 0);
  let frames: string[] | null = null;
  let note: string | null = null;
  try {
    const callFrames = await captureStack();
    frames = callFrames.slice(0, MAX_FRAMES).map(describe);
    if (callFrames.length > MAX_FRAMES) note = `${callFrames.length - MAX_FRAMES} outer frames cut`;
  } catch {
    note = `the main thread did not pause within ${captureTimeoutMs} ms (blocked outside JavaScript?)`;
  }
  // At once, as captured: the kill may come before the mapping ends.
  send(stalledMs, frames, note);
  if (frames === null || !hasFilePositions(frames)) return;
  const mapped = await mapFrames(frames);
  // Once the main thread has moved on, a late report would describe a stall that is over.
  if (mapped === null || Atomics.load(progress, 0) !== progressAtCapture) return;
  if (mapped.some((f, i) => f !== frames[i])) send(stalledMs, mapped, note);
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
