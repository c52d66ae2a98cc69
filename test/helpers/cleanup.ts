// Loaded into every integration/e2e test file: whatever a failing test left running dies with
// its file, so one failure cannot leave clusters competing for the CPU with the next file.
import { afterAll } from 'vitest';
import { killAllClusters } from './cluster.js';

afterAll(() => killAllClusters());
