// Entry point. Node runs this file once as the manager and again, in worker mode, for every
// fork(). Each side is loaded with a dynamic import so the manager never loads application code.
import cluster from 'node:cluster';
import module from 'node:module';

// Node 22.1+ keeps V8's compiled code on disk ($TMPDIR/node-compile-cache, or NODE_COMPILE_CACHE):
// a replacement worker then skips most of compiling its 1.1 MB bundle, about a fifth of its
// module loading on Node 24 (the Docker image's). Node 20 has no such cache: nothing happens.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

if (cluster.isPrimary) {
  const { runManager } = await import('./manager/run-manager.js');
  await runManager();
} else {
  // One bundled file after `npm run build` (src/worker.ts): a worker's boot is mostly loading.
  const { runWorker } = await import('./worker.js');
  await runWorker();
}
