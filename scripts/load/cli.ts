// `npm run load -- --scenario <name> ...`: exit 0 when every threshold is met, 1 when one is
// missed (or the run could not be made), 2 on bad arguments. Ctrl-C stops early and reports.
import { ArgsError, helpText, parseArgs } from './args.js';
import { formatResult } from './report.js';
import { runLoad } from './run.js';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof ArgsError) {
      console.error(`load: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (parsed.help) {
    process.stdout.write(helpText());
    return 0;
  }
  const { json, ...options } = parsed.options;
  const controller = new AbortController();
  process.once('SIGINT', () => {
    console.error('load: interrupted; stopping and reporting what was measured');
    controller.abort();
  });
  try {
    const result = await runLoad({
      ...options,
      signal: controller.signal,
      onProgress: (line) => console.error(`load: ${line}`),
    });
    process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : formatResult(result));
    return result.ok ? 0 : 1;
  } catch (error) {
    console.error(`load: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

process.exitCode = await main();
