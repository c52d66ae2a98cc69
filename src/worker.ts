// The worker process's code as one module. `npm run build` bundles this file and everything it
// imports into dist/worker.js (scripts/bundle-worker.mjs), so a worker loads one file at boot;
// compiled without the bundler (tsc alone) it is a plain re-export and works the same.
export { runWorker } from './worker/run-worker.js';
