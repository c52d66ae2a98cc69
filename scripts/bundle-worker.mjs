// Build step after tsc: bundles the worker process's code (src/worker.ts: the app, Koa,
// @koa/router, prom-client, pino, zod) into ONE file, dist/worker.js, replacing tsc's one-line
// re-export there. A worker then starts by reading one file instead of resolving and loading
// ~500 modules: the replacement of a dead worker serves sooner (bench rows 5 and 5b measure it).
// The manager (dist/main.js, dist/manager/**) stays as tsc emits it and never loads this file.
// Run by `npm run build`; plain JavaScript so it needs no TypeScript loader.
import process from 'node:process';
import { build } from 'esbuild';

const result = await build({
  entryPoints: ['src/worker.ts'],
  outfile: 'dist/worker.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  allowOverwrite: true,
  metafile: true,
  logLevel: 'warning',
  // CommonJS packages inside an ESM bundle still call require() for node's built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
  },
});
const inputs = Object.keys(result.metafile.inputs).length;
process.stdout.write(`bundled dist/worker.js from ${inputs} modules\n`);
