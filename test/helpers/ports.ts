// Shared with the benchmark and scripts: see scripts/lib/free-port.ts.
export { freePort } from '../../scripts/lib/free-port.js';
