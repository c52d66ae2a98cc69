// Shared with the benchmark: see scripts/lib/traffic.ts.
export { startTraffic, type Traffic, type TrafficResult } from '../../scripts/lib/traffic.js';
