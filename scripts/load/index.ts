// The load runner's programmatic API (the reliability tests and the bench import it):
//
//   const result = await runLoad({ scenario: 'reload', url, managerUrl, adminToken,
//                                  durationSec: 10, connections: 8, maxErrorRate: 0 });
//   expect(result.ok).toBe(true);
export { runLoad } from './run.js';
export type { LoadResult, MemoryResult, PhaseResult, ReloadResult } from './run.js';
export {
  DEFAULT_MANAGER_URL,
  DEFAULT_URL,
  LoadOptionsError,
  MAX_DURATION_SEC,
  resolveOptions,
} from './options.js';
export type { LoadOptions, ResolvedLoadOptions } from './options.js';
export { SCENARIO_NAMES, SCENARIOS } from './scenarios.js';
export type { ScenarioDefinition, ScenarioName } from './scenarios.js';
export { phasesFrom, rateSegments } from './phases.js';
export type { PhasePlan, ScenarioParams, Segment } from './phases.js';
export { ArgsError, helpText, parseArgs, parseDuration } from './args.js';
export type { CliOptions, ParsedArgs } from './args.js';
export { errorRate, evaluateThresholds } from './thresholds.js';
export type { RunFigures, ThresholdLimits, ThresholdOutcome } from './thresholds.js';
export { isLoopbackHost, loopbackOrigin, TargetError } from './loopback.js';
export { LatencyHistogram } from './histogram.js';
export type { LatencySummary } from './histogram.js';
export { formatResult } from './report.js';
export { lostRequestTracker } from './lost-requests.js';
export type { LostRequestHandlers } from './lost-requests.js';
