// Shared with the benchmark and scripts: see scripts/lib/wait.ts.
export { waitUntil } from '../../scripts/lib/wait.js';
