// A throwaway thread the stack watchdog starts to map a hung main thread's frames to source
// positions: reading a bundle's map takes time and heap, which here weigh neither on the main
// thread nor on the watchdog's small heap, and are freed on exit.
import { parentPort, workerData } from 'node:worker_threads';
import { withSourcePositions } from '../source-positions.js';

export interface SourcePositionsData {
  frames: string[];
}

const { frames } = workerData as SourcePositionsData;
parentPort?.postMessage(withSourcePositions(frames));
