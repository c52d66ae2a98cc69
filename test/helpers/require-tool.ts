// External tools (Debian's prometheus, promtool, docker-compose): a test that needs one fails
// under CI=true when it is missing, and skips loudly on a developer's machine.
import { execFileSync } from 'node:child_process';

export function findTool(name: string): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

/** The tool's path, or undefined after a loud warning (outside CI) so the caller can return. */
export function requireTool(name: string, install: string): string | undefined {
  const path = findTool(name);
  if (path) return path;
  const message = `${name} is not installed: run \`${install}\``;
  if (process.env.CI === 'true') throw new Error(`${message} (required under CI=true)`);
  console.warn(`\n*** SKIPPED: ${message} ***\n`);
  return undefined;
}
