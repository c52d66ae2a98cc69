// No k6 binary runs here, so the k6 scripts are verified by type-checking them against @types/k6
// (k6/tsconfig.json). A deliberately broken script in a copy of k6/ proves the check can fail.
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoScratchDir, ROOT } from '../helpers/repo-paths.js';
import { runTsc } from '../helpers/tsc.js';

// Inside the repository so that `types: ["k6"]` finds node_modules/@types/k6.
const scratch = repoScratchDir('k6-typecheck');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of k6/ plus broken scripts: one tsc run must report every one of them. */
const BROKEN: Record<string, string> = {
  // A k6 option of the wrong type (durations are strings).
  'broken-options.ts': `import type { Options } from 'k6/options';
export const options: Options = {
  scenarios: { s: { executor: 'constant-vus', vus: 1, duration: 30 } },
};
export default function (): void {}
`,
  // The k6 http API misused, and a shared helper given an endpoint that does not exist.
  'broken-http.ts': `import http from 'k6/http';
import { callAndCheck } from './lib/checks.ts';
import { ENDPOINTS } from './lib/endpoints.ts';
export default function (): void {
  http.get(42);
  callAndCheck(ENDPOINTS.nope);
}
`,
  // A module that does not exist.
  'broken-import.ts': `import { nothing } from './lib/does-not-exist.ts';
export default nothing;
`,
};

describe('k6 scripts type-check against @types/k6', () => {
  it('tsc -p k6/tsconfig.json --noEmit (npm run typecheck) exits 0, silent', async () => {
    const run = await runTsc('k6/tsconfig.json', 60_000);
    expect(run.output).toBe('');
    expect(run.code).toBe(0);
  });

  it('the same check fails on broken scripts (so it can fail)', async () => {
    const dir = path.join(scratch, 'k6');
    cpSync(path.join(ROOT, 'k6'), dir, { recursive: true });
    for (const [name, text] of Object.entries(BROKEN)) writeFileSync(path.join(dir, name), text);
    const run = await runTsc(path.join(dir, 'tsconfig.json'), 60_000);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/broken-options\.ts\(3,\d+\): error TS2322/);
    expect(run.output).toMatch(/broken-http\.ts\(5,\d+\): error TS2345/);
    expect(run.output).toMatch(/broken-http\.ts\(6,\d+\): error TS2339/);
    expect(run.output).toMatch(/broken-import\.ts\(1,\d+\): error TS2307/);
    // The real scripts in the copy are still clean: only the broken files are reported.
    expect(run.output.split('\n').filter((l) => /error TS/.test(l) && !/broken-/.test(l))).toEqual(
      [],
    );
  });
});
