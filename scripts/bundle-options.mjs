// How the worker's code is bundled (scripts/bundle-worker.mjs), shared with the bench's per-request
// row (bench/servers/split-bundle.ts), which must measure code built exactly as production's.
// Plain JavaScript: the build script runs without a TypeScript loader (types: bundle-options.d.mts).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * JSON files as `JSON.parse('…')` instead of esbuild's object literals: V8 reads a JSON string
 * much faster than it parses the same data as JavaScript. Koa's dependencies carry mime-db, a
 * 150 kB JSON table evaluated at load.
 */
const jsonAsParse = {
  name: 'json-as-parse',
  setup(build) {
    build.onLoad({ filter: /\.json$/ }, (args) => {
      const text = JSON.stringify(JSON.parse(readFileSync(args.path, 'utf8')));
      return { contents: `module.exports = JSON.parse(${JSON.stringify(text)});`, loader: 'js' };
    });
  },
};

/**
 * One mime-db in the bundle: koa's accepts@1 pins an older copy of the same table (mime-types@2),
 * which made the worker load and evaluate it twice. mime-db is data (types to extensions and
 * charsets, one format across 1.x), so the newer copy serves both readers.
 */
const oneMimeDb = {
  name: 'one-mime-db',
  setup(build) {
    const path = require.resolve('mime-db');
    build.onResolve({ filter: /^mime-db$/ }, () => ({ path }));
  },
};

export const WORKER_BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  // Whitespace and syntax only: V8 compiles a 1.8 MB file instead of 2.4 MB (module loading
  // about 15% shorter at boot). Identifiers keep their names, so stack traces (and the stack
  // watchdog's reports of a hung worker) still name the functions; the positions the worker logs
  // are mapped back to src/ through the source map (src/source-positions.ts).
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  // Together about a sixth of the worker's module loading (import of dist/worker.js, Node 20:
  // median 64 -> 53 ms over 8 alternating runs).
  plugins: [jsonAsParse, oneMimeDb],
  // The OpenTelemetry SDK (about 0.5 MB bundled) stays out of the worker's file:
  // src/app/otlp-tracing.ts imports it only when OTLP export is configured, from its own bundle
  // beside the worker's (dist/otlp-export.js, an entry of bundle-worker.mjs).
  external: ['./otlp-export.js'],
  // CommonJS packages inside an ESM bundle still call require() for node's built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
  },
};
