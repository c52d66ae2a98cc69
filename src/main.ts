// Entry point. Node runs this file once as the manager and again, in worker mode, for every
// fork(). Each side is loaded with a dynamic import so the manager never loads application code.
// First: refuses a Node.js line the service does not support, before anything else is loaded.
import './runtime-check.js';
import cluster from 'node:cluster';
import module from 'node:module';

// V8's compiled code kept on disk ($TMPDIR/node-compile-cache, or NODE_COMPILE_CACHE): a
// replacement worker then skips most of compiling its bundle.
module.enableCompileCache();

if (cluster.isPrimary) {
  const { runManager } = await import('./manager/run-manager.js');
  await runManager();
} else {
  // One bundled file after `npm run build` (src/worker.ts): a worker's boot is mostly loading.
  const { runWorker } = await import('./worker.js');
  await runWorker();
}
