// What a chaos run prints: how to replay it, what it did, and every violation it saw.
import type { ChaosReport } from './run.js';

export function replayCommand(report: ChaosReport): string {
  const o = report.options;
  const parts = [`npm run chaos -- --seed ${o.seed}`];
  if (report.failure?.path) parts.push(`--path ${report.failure.path}`);
  else parts.push(`--seconds ${o.seconds}`, ...(o.phases ? [`--phases ${o.phases}`] : []));
  parts.push(
    `--workers ${o.workers}`,
    `--worker-timeout-ms ${o.workerTimeoutMs}`,
    `--max-commands ${o.maxCommands}`,
  );
  if (o.maxOpenFiles !== undefined) parts.push(`--ulimit ${o.maxOpenFiles}`);
  if (o.listenMode !== 'shared') parts.push(`--listen-mode ${o.listenMode}`);
  return parts.join(' ');
}

export function formatReport(report: ChaosReport): string {
  const lines = [
    `chaos: seed ${report.options.seed}, LISTEN_MODE=${report.options.listenMode}, ${report.phases} phase(s), restarts by reason ${JSON.stringify(report.restarts)}` +
      (report.promtool ? '' : ' — promtool MISSING: `promtool check metrics` was not run'),
  ];
  if (report.violations.length === 0) {
    lines.push('chaos: no invariant violated');
    return lines.join('\n');
  }
  lines.push(`chaos: ${report.violations.length} VIOLATION(S)`);
  for (const v of report.violations)
    lines.push(`  [${v.invariant}] at ${(v.atMs / 1000).toFixed(1)}s: ${v.message}`);
  for (const [key, n] of report.repeated) lines.push(`  (${key}… seen ${n} times)`);
  if (report.failure) {
    lines.push(`fast-check: seed ${report.failure.seed}, path ${report.failure.path ?? '(none)'}`);
    lines.push(`fast-check commands of the failed phase: ${report.failure.commands}`);
  }
  lines.push('steps:', ...report.steps.map((step) => `  ${step}`));
  if (report.logFile) lines.push(`cluster output: ${report.logFile}`);
  lines.push(`replay: ${replayCommand(report)}`);
  return lines.join('\n');
}
