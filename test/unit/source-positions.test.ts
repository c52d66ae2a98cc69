// Stack positions in an esbuild bundle (built as the worker's, by scripts/bundle-options.mjs)
// mapped back to the TypeScript they came from, through the bundle's own source map; positions
// with no map, or whose file changed since it was loaded, stay as they are.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WORKER_BUNDLE_OPTIONS } from '../../scripts/bundle-options.mjs';
import {
  hasFilePositions,
  mapErrorStacks,
  withSourcePositions,
} from '../../src/source-positions.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'source-positions-test-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const FAIL_TS = [
  '// The known line: the third.',
  'export function fail(message: string): never {',
  '  throw new Error(message);',
  '}',
  '',
].join('\n');
const ENTRY_TS = [
  "import { fail } from './fail.js';",
  '',
  'export function run(message: string): never {',
  '  return fail(message);',
  '}',
  '',
].join('\n');

let bundle: string;
/**
 * A stack thrown through the bundle, fail() called by run(), as V8 writes it: in another process,
 * since vitest maps the stacks of its own.
 */
function stackOf(message = 'known line'): string {
  const script = `try { (await import(${JSON.stringify(pathToFileURL(bundle).href)})).run(${JSON.stringify(message)}) } catch (e) { process.stdout.write(e.stack) }`;
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
}
const loadedAt = () => Date.now();

beforeAll(async () => {
  fs.writeFileSync(path.join(dir, 'fail.ts'), FAIL_TS);
  fs.writeFileSync(path.join(dir, 'entry.ts'), ENTRY_TS);
  bundle = path.join(dir, 'bundle.js');
  await build({
    ...WORKER_BUNDLE_OPTIONS,
    entryPoints: [path.join(dir, 'entry.ts')],
    outfile: bundle,
    sourcemap: true,
  });
});

describe('source positions', () => {
  it('maps positions in the bundle to the source files, lines and columns', () => {
    const stack = stackOf();
    // Built as the worker is: one long line of code after the banner's two.
    expect(stack).toMatch(/\n +at fail \(file:\/\/\/.*\/bundle\.js:3:\d+\)/);
    const [mapped] = withSourcePositions([stack], loadedAt());
    const failUrl = pathToFileURL(path.join(dir, 'fail.ts')).href;
    const entryUrl = pathToFileURL(path.join(dir, 'entry.ts')).href;
    expect(mapped).toContain(`\n    at fail (${failUrl}:3:9)\n`);
    expect(mapped).toContain(`\n    at Module.run (${entryUrl}:4:10)\n`);
    expect(mapped).not.toContain('bundle.js:');
    // Everything but the positions is kept.
    expect(mapped!.split('\n')[0]).toBe('Error: known line');
    expect(mapped!.split('\n')).toHaveLength(stack.split('\n').length);
  });

  it('maps paths as paths, and inspector frames as the stack watchdog writes them', () => {
    const position = /file:\/\/(\/\S*\/bundle\.js:3:\d+)/.exec(stackOf())![1]!;
    const frames = [`fail (${position})`, `<anonymous> (file://${position})`];
    expect(withSourcePositions(frames, loadedAt())).toEqual([
      `fail (${path.join(dir, 'fail.ts')}:3:9)`,
      `<anonymous> (${pathToFileURL(path.join(dir, 'fail.ts')).href}:3:9)`,
    ]);
  });

  it('leaves node internals, files without a map and missing files as they are', () => {
    const plain = path.join(dir, 'plain.js');
    fs.writeFileSync(plain, 'export const x = 1;\n');
    const frames = [
      'emit (node:events:536:35)',
      `x (${pathToFileURL(plain).href}:1:14)`,
      `y (${path.join(dir, 'missing.js')}:1:1)`,
      'z (<anonymous>:1:1)',
    ];
    expect(withSourcePositions(frames, loadedAt())).toEqual(frames);
    expect(hasFilePositions(frames.slice(0, 1))).toBe(false);
    expect(hasFilePositions(frames.slice(1, 2))).toBe(true);
  });

  it('leaves positions in a file changed after it was loaded: the map no longer matches', () => {
    const stack = stackOf();
    const before = fs.statSync(bundle).mtimeMs - 1;
    expect(withSourcePositions([stack], before)).toEqual([stack]);
  });

  it("rewrites an error's stack and its causes' in place", () => {
    const cause = new Error('inner');
    cause.stack = stackOf('inner');
    const error = new Error('outer', { cause });
    error.stack = stackOf('outer');
    // By default, files written after this process started are not trusted: this bundle was.
    mapErrorStacks(error);
    expect(error.stack).toContain('bundle.js:');
    expect(cause.stack).toContain('bundle.js:');
    // A process started just now, after the bundle was written.
    vi.spyOn(process, 'uptime').mockReturnValue(0);
    mapErrorStacks(error);
    const failUrl = pathToFileURL(path.join(dir, 'fail.ts')).href;
    expect(error.stack).toContain(`at fail (${failUrl}:3:9)`);
    expect(cause.stack).toContain(`at fail (${failUrl}:3:9)`);
  });

  it('never throws for what is not an error, or an error it cannot rewrite', () => {
    expect(() => mapErrorStacks('a string')).not.toThrow();
    expect(() => mapErrorStacks(Object.freeze(new Error('frozen')))).not.toThrow();
    const cyclic = new Error('a');
    (cyclic as { cause?: unknown }).cause = cyclic;
    expect(() => mapErrorStacks(cyclic)).not.toThrow();
  });
});
