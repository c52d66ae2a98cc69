// Static rules for the k6 scripts that type-checking alone does not enforce: every request goes
// through lib/request.ts to an endpoint listed in lib/endpoints.ts (so the endpoint test covers
// every URL the scripts call), imports carry the .ts extension k6 needs, every scenario has its
// npm script, options and summary; and k6/run.sh behaves without and with a k6 binary.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ENDPOINTS } from '../../k6/lib/endpoints.js';
import { repoScratchDir, ROOT } from '../helpers/repo-paths.js';

const K6 = path.join(ROOT, 'k6');
const SCENARIOS = ['smoke', 'load', 'stress', 'spike', 'soak', 'reload'];

function k6Files(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory()
        ? walk(path.join(dir, entry.name))
        : entry.name.endsWith('.ts')
          ? [path.join(dir, entry.name)]
          : [],
    );
  return walk(K6);
}

const source = (file: string) => readFileSync(file, 'utf8');
const rel = (file: string) => path.relative(ROOT, file);

describe('k6 scripts', () => {
  it('exist for every scenario, each with its npm script', () => {
    const pkg = JSON.parse(source(path.join(ROOT, 'package.json'))) as {
      scripts: Record<string, string>;
    };
    const topLevel = readdirSync(K6)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect(topLevel).toEqual([...SCENARIOS].sort());
    for (const name of SCENARIOS) expect(pkg.scripts[`k6:${name}`]).toBe(`bash k6/run.sh ${name}`);
  });

  it.each(SCENARIOS)('%s exports options, its functions and its own summary', (name) => {
    const text = source(path.join(K6, `${name}.ts`));
    expect(text).toMatch(/export const options: Options = \{/);
    expect(text).toContain(`export const handleSummary = summaryHandler('${name}');`);
    expect(text).toMatch(/thresholds:/);
    const execs = [...text.matchAll(/exec: '(\w+)'/g)].map((m) => m[1]);
    for (const fn of execs) expect(text).toMatch(new RegExp(`export function ${fn}\\(`));
    if (execs.length === 0) expect(text).toMatch(/export default function/);
  });

  it('make HTTP requests only through lib/request.ts', () => {
    for (const file of k6Files()) {
      if (rel(file) === 'k6/lib/request.ts') continue;
      // Types from k6/http are fine; the module itself (the request functions) is not.
      expect(source(file), rel(file)).not.toMatch(/^import (?!type )[^;]*from 'k6\/http'/m);
    }
  });

  it('write URL paths only in lib/endpoints.ts', () => {
    for (const file of k6Files()) {
      if (rel(file) === 'k6/lib/endpoints.ts') continue;
      expect(source(file), rel(file)).not.toMatch(/['"`]\/[A-Za-z]/);
    }
  });

  it('use every listed endpoint (the list is what the scripts call, not a wish list)', () => {
    const all = k6Files().map(source).join('\n');
    for (const key of Object.keys(ENDPOINTS)) expect(all, key).toContain(`ENDPOINTS.${key}`);
  });

  it('import relative modules with the .ts extension k6 needs, and nothing remote', () => {
    for (const file of k6Files()) {
      for (const [, spec] of source(file).matchAll(/from '([^']+)'/g)) {
        if (spec?.startsWith('.')) expect(spec, rel(file)).toMatch(/\.ts$/);
        else expect(spec, rel(file)).toMatch(/^k6(\/|$)/);
      }
    }
  });

  it('tag every metric of a run with the test-wide testid (the k6 dashboard selects by it)', () => {
    for (const scenario of SCENARIOS) {
      expect(source(path.join(K6, `${scenario}.ts`)), scenario).toMatch(
        new RegExp(`export const options: Options = \\{\\n  tags: testTags\\('${scenario}'\\),`),
      );
    }
  });

  it('take each shape and its limits from lib/scenarios.ts, shared with npm run load', () => {
    for (const scenario of SCENARIOS) {
      const text = source(path.join(K6, `${scenario}.ts`));
      const name = scenario.toUpperCase();
      expect(text, scenario).toMatch(
        new RegExp(`import \\{[^}]*\\b${name}\\b[^}]*\\} from './lib/scenarios.ts'`),
      );
      expect(text, scenario).toContain(`limitThresholds(${name}.limits)`);
      // No default rate, duration or SLO limit written here: they live in lib/scenarios.ts.
      // (reload's own `reload_completed` threshold is not a shape.)
      const own = text.replace("reload_completed: ['rate>=1']", '');
      expect(own, scenario).not.toMatch(/envInt\('\w+', \d/);
      expect(own, scenario).not.toMatch(/envDuration\('\w+', '/);
      expect(own, scenario).not.toMatch(/['`](rate|p\(\d+\))[<>=]+\d/);
    }
  });
});

describe('k6/run.sh', () => {
  const scratch = repoScratchDir('k6-run');
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  async function run(args: string[], env: Record<string, string>) {
    try {
      const { stdout, stderr } = await promisify(execFile)('bash', ['k6/run.sh', ...args], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', ...env },
        timeout: 10_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  it('without k6 says how to get one or what to use instead, and exits 1', async () => {
    const result = await run(['smoke'], { K6_BIN: path.join(scratch, 'no-such-k6') });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('k6 is not installed');
    expect(result.stderr).toContain('https://grafana.com/docs/k6/latest/set-up/install-k6/');
    expect(result.stderr).toContain(
      'docker compose --profile load run --rm k6 run /scripts/smoke.ts',
    );
    expect(result.stderr).toContain('npm run load -- --scenario smoke');
  });

  it('rejects an unknown scenario with exit 2', async () => {
    const result = await run(['nope'], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown scenario 'nope'");
  });

  it('with k6 runs k6/<scenario>.ts from the repository root, extra args first', async () => {
    const fake = path.join(scratch, 'k6');
    writeFileSync(
      fake,
      '#!/usr/bin/env bash\necho "cwd=$PWD"\necho "args=$*"\necho "dir=$SUMMARY_DIR"\n',
    );
    chmodSync(fake, 0o755);
    const summaryDir = path.join(scratch, 'reports');
    const result = await run(['reload', '--vus', '2'], { K6_BIN: fake, SUMMARY_DIR: summaryDir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`cwd=${ROOT}`);
    expect(result.stdout).toContain('args=run --vus 2 k6/reload.ts');
    expect(result.stdout).toContain(`dir=${summaryDir}`);
    expect(existsSync(summaryDir)).toBe(true);
  });
});
