// The API's routes. Handlers only validate, call a workload and shape the answer; errors are
// thrown as HttpError and rendered by error-handler.ts.
import { Router } from '@koa/router';
import type { AppDeps, AppState, RouterExtras } from './context.js';
import { errorBody } from '../http-errors.js';
import { NO_SHEDDING } from './load-shedding.js';
import { readJsonBody } from './json-body.js';
import { parseQuery } from './query.js';
import { delayQuery, hashBody, helloQuery, validate, workQuery } from './validation.js';
import { busyLoop, hashInput, wait } from './workloads.js';

export function createRouter(deps: AppDeps): Router<AppState, RouterExtras> {
  const router = new Router<AppState, RouterExtras>();
  // Every /api route calls shedder.admit() first; /, /healthz and /readyz never shed.
  const shedder = deps.shedder ?? NO_SHEDDING;
  const identity = {
    service: deps.config.serviceName,
    version: deps.version,
    slot: deps.slot,
    pid: process.pid,
  };

  router.get('/', (ctx) => {
    ctx.body = identity;
  });

  // Liveness: the event loop answers. Says nothing about draining (a draining worker is alive).
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  // Readiness: false from the moment the worker starts draining, so balancers stop sending.
  router.get('/readyz', (ctx) => {
    if (deps.lifecycle.draining) {
      ctx.status = 503;
      ctx.body = errorBody('draining', 'this worker is shutting down');
      return;
    }
    ctx.body = { status: 'ready' };
  });

  router.get('/api/hello', (ctx) => {
    shedder.admit();
    const { name } = validate(helloQuery, parseQuery(ctx.querystring), 'query');
    ctx.body = { message: `hello, ${name}` };
  });

  router.get('/api/work', (ctx) => {
    shedder.admit();
    const { ms } = validate(workQuery, parseQuery(ctx.querystring), 'query');
    ctx.body = { ms, iterations: busyLoop(ms) };
  });

  router.get('/api/delay', async (ctx) => {
    shedder.admit();
    const { ms } = validate(delayQuery, parseQuery(ctx.querystring), 'query');
    // The client hanging up unanswered ends the wait (an AbortError), rather than hold it open.
    const hangUp = new AbortController();
    const onClose = () => {
      if (!ctx.res.writableEnded) hangUp.abort();
    };
    ctx.res.once('close', onClose);
    try {
      await wait(ms, hangUp.signal);
    } finally {
      ctx.res.off('close', onClose);
    }
    ctx.body = { ms };
  });

  router.post('/api/hash', async (ctx) => {
    shedder.admit();
    const { input, iterations } = validate(hashBody, await readJsonBody(ctx), 'body');
    ctx.body = { hash: await shedder.onPool(() => hashInput(input, iterations)), iterations };
  });

  return router;
}
