// A throwaway thread the stack watchdog (stack-watchdog-thread.ts) starts to map a hung main
// thread's frames to source positions (source-positions.ts), then ends. Reading a bundle's map
// takes a few hundred milliseconds and some 20 MB of heap: here, they never weigh on the main
// thread, which is stuck anyway, nor on the watchdog's small heap, and they are freed on exit.
import { parentPort, workerData } from 'node:worker_threads';
import { withSourcePositions } from '../source-positions.js';

export interface SourcePositionsData {
  frames: string[];
}

const { frames } = workerData as SourcePositionsData;
parentPort?.postMessage(withSourcePositions(frames));
