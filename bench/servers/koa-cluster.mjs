// The reference of the SIGKILL row (row 5): a plain Koa + @koa/router app under node:cluster, as
// a team would write it without this project: the primary forks WORKERS workers and forks a
// replacement the moment one exits; workers answer GET / with their pid. No metrics, no logging,
// no supervision beyond that. Bench addition: GET /status on METRICS_PORT (`{ ready }`: workers
// listening). Plain JavaScript run by plain node, as dist/main.js is: no loader in either.
// Run: PORT=... METRICS_PORT=... WORKERS=2 node bench/servers/koa-cluster.mjs
import cluster from 'node:cluster';
import http from 'node:http';
import process from 'node:process';
import { setTimeout } from 'node:timers';

const HOST = '127.0.0.1';

if (cluster.isPrimary) {
  const listening = new Set();
  cluster.on('listening', (worker) => listening.add(worker.id));
  cluster.on('exit', (worker) => {
    listening.delete(worker.id);
    if (!stopping) cluster.fork();
  });
  for (let i = 0; i < Number(process.env.WORKERS ?? '2'); i += 1) cluster.fork();
  const status = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ ready: listening.size }));
  });
  status.listen(Number(process.env.METRICS_PORT ?? '3001'), HOST);
  let stopping = false;
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    status.close();
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  const { default: Koa } = await import('koa');
  const { Router } = await import('@koa/router');
  const app = new Koa();
  const router = new Router();
  router.get('/', (ctx) => {
    ctx.body = { pid: process.pid };
  });
  router.get('/api/hello', (ctx) => {
    ctx.body = { message: `hello, ${ctx.query.name ?? 'world'}` };
  });
  app.use(router.routes()).use(router.allowedMethods());
  app.listen(Number(process.env.PORT ?? '3000'), HOST);
}
