// `npm run chaos`: a seeded, bounded chaos run against the real compiled cluster (dist/main.js).
// Exit 0 when no invariant was violated, 1 when one was (the report says how to replay it), 2 on
// bad arguments. See docs/chaos.md.
import { findTool } from '../../test/helpers/tools.js';
import { parseChaosArgs } from './args.js';
import { formatReport } from './report.js';
import { listPhases, runChaos } from './run.js';

let options;
try {
  options = parseChaosArgs(process.argv.slice(2));
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
if (options.list) {
  // The schedule alone: what each phase of this seed would do (precondition-failing storms are
  // skipped when run).
  listPhases(options, options.phases ?? 3).forEach((steps, phase) =>
    console.log(`phase ${phase + 1} (path ${phase}):\n  ${steps.join('\n  ')}`),
  );
  process.exit(0);
}
if (!findTool('promtool')) {
  const message = 'promtool is missing (Debian: `sudo apt-get install prometheus`)';
  if (process.env.CI === 'true') {
    console.error(`${message}: required under CI=true`);
    process.exit(2);
  }
  console.warn(`\n*** ${message}: \`promtool check metrics\` is SKIPPED in this run ***\n`);
}
console.log(
  `chaos: seed ${options.seed}, up to ${options.seconds} s${options.phases ? ` or ${options.phases} phase(s)` : ''}`,
);
const report = await runChaos(options);
console.log(formatReport(report));
process.exit(report.violations.length === 0 ? 0 : 1);
