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

const result = await build({
  // The worker's code, and the stack watchdog's thread (src/worker/stack-watchdog.ts starts it by
  // URL relative to its own module: from dist/worker.js that is dist/stack-watchdog-thread.js;
  // the unbundled dist/worker/ keeps tsc's copy next to tsc's stack-watchdog.js).
  entryPoints: {
    worker: 'src/worker.ts',
    'stack-watchdog-thread': 'src/worker/stack-watchdog-thread.ts',
  },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  allowOverwrite: true,
  metafile: true,
  // Whitespace and syntax only: V8 compiles a 1.8 MB file instead of 2.4 MB (module loading
  // about 15% shorter at boot). Identifiers keep their names, so stack traces (and the stack
  // watchdog's reports of a hung worker) still name the functions; positions map back to src/
  // through the source map (`node --enable-source-maps`). Licence comments go to *.LEGAL.txt.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'external',
  logLevel: 'warning',
  // CommonJS packages inside an ESM bundle still call require() for node's built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
  },
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
