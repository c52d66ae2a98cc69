// Entry point. Node runs this file once as the manager and again, in worker mode, for every
// fork(). Each side is loaded with a dynamic import so the manager never loads application code.
import cluster from 'node:cluster';

if (cluster.isPrimary) {
  const { runManager } = await import('./manager/run-manager.js');
  await runManager();
} else {
  // One bundled file after `npm run build` (src/worker.ts): a worker's boot is mostly loading.
  const { runWorker } = await import('./worker.js');
  await runWorker();
}
