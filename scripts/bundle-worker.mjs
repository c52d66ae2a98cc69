// Build step after tsc: bundles the worker process's code (src/worker.ts: the app, Koa,
// @koa/router, prom-client, pino, zod) into ONE file, dist/worker.js, replacing tsc's one-line
// re-export there (and its stack-watchdog thread into dist/stack-watchdog-thread.js). A worker then starts by reading one file instead of resolving and loading
// ~500 modules: the replacement of a dead worker serves sooner (bench rows 5 and 5b measure it).
// The manager (dist/main.js, dist/manager/**) stays as tsc emits it and never loads this file.
// Run by `npm run build`; plain JavaScript so it needs no TypeScript loader.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { pathToFileURL, URL } from 'node:url';
import { build } from 'esbuild';
import { WORKER_BUNDLE_OPTIONS } from './bundle-options.mjs';

const result = await build({
  ...WORKER_BUNDLE_OPTIONS,
  // The worker's code, and the stack watchdog's thread (src/worker/stack-watchdog.ts starts it by
  // URL relative to its own module: from dist/worker.js that is dist/stack-watchdog-thread.js;
  // the unbundled dist/worker/ keeps tsc's copy next to tsc's stack-watchdog.js), which starts
  // the thread that maps its frames to source positions the same way.
  entryPoints: {
    worker: 'src/worker.ts',
    'stack-watchdog-thread': 'src/worker/stack-watchdog-thread.ts',
    'source-positions-thread': 'src/worker/source-positions-thread.ts',
    // Loaded by the worker only with OTLP export on (see external in bundle-options.mjs).
    'otlp-export': 'src/app/otlp-export.ts',
  },
  outdir: 'dist',
  sourcemap: true,
  allowOverwrite: true,
  metafile: true,
  // Licence comments go to dist/*.LEGAL.txt.
  legalComments: 'external',
});

// Files a bundled module finds relative to itself (`new URL('x', import.meta.url)`) now resolve
// from the bundle's place, not the source's: fail the build if one of them is not there.
const RELATIVE_URL = /new URL\(\s*["'`]([^"'`]+)["'`]\s*,\s*import\.meta\.url\s*\)/g;
for (const output of Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'))) {
  const text = readFileSync(output, 'utf8');
  for (const [, target] of text.matchAll(RELATIVE_URL)) {
    const url = new URL(target, pathToFileURL(path.resolve(output)));
    if (!existsSync(url)) {
      throw new Error(`${output} refers to ${target}, which is not at ${url.pathname}`);
    }
  }
  const inputs = Object.keys(result.metafile.outputs[output].inputs).length;
  process.stdout.write(`bundled ${output} from ${inputs} modules\n`);
}
