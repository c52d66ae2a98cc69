// How the worker's code is bundled (scripts/bundle-worker.mjs), shared with the bench's per-request
// row (bench/servers/split-bundle.ts), which must measure code built exactly as production's.
// Plain JavaScript: the build script runs without a TypeScript loader (types: bundle-options.d.mts).
export const WORKER_BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Whitespace and syntax only: V8 compiles a 1.8 MB file instead of 2.4 MB (module loading
  // about 15% shorter at boot). Identifiers keep their names, so stack traces (and the stack
  // watchdog's reports of a hung worker) still name the functions; positions map back to src/
  // through the source map (`node --enable-source-maps`).
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  // CommonJS packages inside an ESM bundle still call require() for node's built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
  },
};
