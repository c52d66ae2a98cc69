// Runs the project's own TypeScript compiler on a tsconfig, as the artifact checks do (k6 scripts,
// dashboards, Kubernetes objects typed against their libraries). Never throws: a failing check
// is tsc's exit code and its output, for the test to assert on.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './repo-paths.js';

const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');

/** The compiler options of a generated check: strict, no output, no ambient types. */
export const CHECK_COMPILER_OPTIONS = {
  strict: true,
  noEmit: true,
  target: 'ES2023',
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  skipLibCheck: true,
  types: [],
} as const;

export interface TscRun {
  code: number;
  output: string;
}

export async function runTsc(project: string, timeoutMs = 120_000): Promise<TscRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [TSC, '-p', project, '--noEmit', '--pretty', 'false'],
      { cwd: ROOT, timeout: timeoutMs },
    );
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout}${e.stderr}` };
  }
}
