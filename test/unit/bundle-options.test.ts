// The worker bundle's two loading shortcuts (scripts/bundle-options.mjs) must not change what
// the bundled code sees: a JSON file read through JSON.parse is the same data, and the one
// mime-db left in the bundle is the one both of its readers get.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { WORKER_BUNDLE_OPTIONS } from '../../scripts/bundle-options.mjs';

const require = createRequire(import.meta.url);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-options-test-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Bundles `source` (CommonJS, in the repository's root) with the worker's options; imports it. */
async function bundled(source: string) {
  const result = await build({
    ...WORKER_BUNDLE_OPTIONS,
    stdin: { contents: source, resolveDir: process.cwd(), loader: 'js' },
    outfile: path.join(dir, `out-${Math.random().toString(36).slice(2)}.js`),
    metafile: true,
  });
  const [outfile] = Object.keys(result.metafile.outputs);
  const inputs = Object.keys(result.metafile.outputs[outfile!]!.inputs);
  const exports = (await import(pathToFileURL(path.resolve(outfile!)).href)) as {
    default: Record<string, unknown>;
  };
  return { value: exports.default, inputs, text: fs.readFileSync(outfile!, 'utf8') };
}

describe('the worker bundle options', () => {
  it('bundles JSON files as the same data', async () => {
    const { value, text } = await bundled(
      "module.exports = { db: require('mime-db'), pkg: require('./package.json') };",
    );
    // As a string for JSON.parse (in whichever quotes need no escapes), not as an object literal.
    expect(text).toMatch(/JSON\.parse\(['"`]\{\\?"application\/1d-interleaved-parityfec/);
    expect(value.db).toEqual(require('mime-db'));
    expect(value.pkg).toEqual(JSON.parse(fs.readFileSync('package.json', 'utf8')));
  });

  it('keeps one mime-db, the one koa’s own mime-types reads, and both readers find types', async () => {
    const { value, inputs } = await bundled(
      "module.exports = { accepts: require('accepts'), types: require('mime-types') };",
    );
    expect(inputs.filter((input) => input.endsWith('mime-db/db.json'))).toEqual([
      'node_modules/mime-db/db.json',
    ]);
    // accepts@1 negotiates through its own mime-types@2, which now reads that copy.
    const accepts = value.accepts as (req: unknown) => { type(types: string[]): unknown };
    const request = { headers: { accept: 'application/json' } };
    expect(accepts(request).type(['json', 'html'])).toBe('json');
    expect((value.types as { lookup(p: string): unknown }).lookup('x.json')).toBe(
      'application/json',
    );
  });
});
