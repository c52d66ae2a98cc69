// Entry point. Node runs this file once as the manager and again, in worker mode, for every
// fork(). Each side is loaded with a dynamic import so the manager never loads application code.
import cluster from 'node:cluster';

if (cluster.isPrimary) {
  const { runManager } = await import('./manager/run-manager.js');
  await runManager();
} else {
  const { runWorker } = await import('./worker/run-worker.js');
  await runWorker();
}
