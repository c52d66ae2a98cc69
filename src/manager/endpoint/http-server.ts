// The manager's HTTP endpoint (METRICS_HOST:METRICS_PORT): metrics, health, status, admin calls.
// Plain node:http, on the metrics thread: the manager never loads the application's framework, and
// the main thread that hands off every API connection is asked only what it alone knows.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import * as z from '../../zod.js';
import { LOG_LEVELS, MAX_WORKERS } from '../../config.js';
import { rateLimitedLog, type Logger } from '../../logger.js';
import {
  answerParserError,
  errorBody,
  expectationFailed,
  HttpError,
  jsonBodyProblem,
  missingHost,
  type ParserError,
} from '../../http-errors.js';
import { requireAdmin } from './admin-auth.js';
import { capConnections } from './connection-cap.js';
import type { ClusterMetrics } from '../collection/cluster-metrics.js';
import { collectTimeoutMs, negotiateContentType } from './scrape-request.js';
import type { MainThreadCalls } from '../thread/main-thread-calls.js';
import type { EndpointConfig } from '../thread/metrics-thread-protocol.js';

const MAX_ADMIN_BODY_BYTES = 1024;
/** A path as an error message repeats it: at most this many characters of it. */
const MAX_ECHOED_PATH = 100;
const NO_STORE = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

export interface ManagerServerDeps {
  /** Fails with an HttpError that is the answer (503 shutting_down, manager_unresponsive). */
  control: Pick<MainThreadCalls, 'call'>;
  metrics: Pick<ClusterMetrics, 'scrape'>;
  config: EndpointConfig;
  logger: Logger;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

const scaleBody = z.strictObject({
  workers: z.number().check(z.int(), z.gte(1), z.lte(MAX_WORKERS)),
});
const logLevelBody = z.strictObject({ level: z.enum(LOG_LEVELS) });

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...NO_STORE,
  });
  res.end(text);
}

function sendError(res: http.ServerResponse, error: HttpError): void {
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  sendJson(res, error.status, error.toBody());
}

/** Requests the parser rejects get the endpoint's JSON error shape, not Node's empty body. */
export function answerClientError(err: ParserError, socket: Duplex): void {
  answerParserError(err, socket, NO_STORE);
}

/** An admin body, judged as the API judges its JSON bodies. */
async function readBody<T>(req: http.IncomingMessage, schema: z.ZodMiniType<T>): Promise<T> {
  const problem = jsonBodyProblem(req.headers);
  if (problem !== undefined) throw new HttpError(415, 'unsupported_media_type', problem);
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_ADMIN_BODY_BYTES) {
      throw new HttpError(413, 'payload_too_large', `body over ${MAX_ADMIN_BODY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalid_json', 'body is not valid JSON');
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') || 'body';
  // `field` names the rejected one, as the API's validation errors do.
  throw new HttpError(400, 'invalid_input', `${field}: ${issue?.message ?? 'invalid'}`, { field });
}

export function createManagerServer(deps: ManagerServerDeps): http.Server {
  const { control, metrics, config, logger } = deps;
  let scrapes = 0;

  const probe =
    (readiness: boolean): Handler =>
    async (_req, res) => {
      const { manager } = await control.call('status', []);
      const { readyWorkers, desiredWorkers } = manager;
      const reason =
        readiness && manager.shuttingDown
          ? 'shutting_down'
          : readyWorkers === 0
            ? 'no_ready_worker'
            : undefined;
      sendJson(res, reason ? 503 : 200, {
        status: reason ? 'unavailable' : 'ok',
        // Only /readyz says why.
        ...(readiness && reason && { reason }),
        readyWorkers,
        desiredWorkers,
      });
    };

  // Every POST changes something: an admin call, for the bearer of ADMIN_TOKEN only.
  const routes: Record<string, Partial<Record<string, Handler>>> = {
    '/metrics': {
      GET: async (req, res) => {
        // Overlapping scrapes share one collection, but each still renders a body and holds a
        // connection: past the limit a scraper is told to come back rather than left queueing.
        const max = config.metricsMaxScrapes;
        if (scrapes >= max) {
          throw new HttpError(503, 'too_many_scrapes', `over ${max} concurrent scrapes; retry`, {
            headers: { 'Retry-After': '1' },
          });
        }
        scrapes += 1;
        try {
          const contentType = negotiateContentType(req.headers.accept);
          const timeoutMs = collectTimeoutMs(
            config.metricsCollectTimeoutMs,
            req.headers['x-prometheus-scrape-timeout-seconds'],
          );
          const body = await metrics.scrape({ contentType, timeoutMs });
          res.writeHead(200, {
            'Content-Type': contentType,
            'Content-Length': body.byteLength,
            'Cache-Control': 'no-store',
          });
          res.end(body);
        } finally {
          scrapes -= 1;
        }
      },
    },
    '/healthz': { GET: probe(false) },
    // /livez asks the main thread only to answer: a liveness failure restarts the whole pod, which
    // must not follow from busy workers. A main thread that does not answer gets 503.
    '/livez': {
      GET: async (_req, res) => {
        await control.call('live', []);
        sendJson(res, 200, { status: 'ok' });
      },
    },
    // /readyz (unlike /healthz) also fails once shutdown begins, so the load balancer stops
    // sending before workers drain.
    '/readyz': { GET: probe(true) },
    '/status': {
      GET: async (_req, res) => sendJson(res, 200, await control.call('status', [])),
    },
    '/reload': {
      POST: async (_req, res) => {
        const workers = await control.call('reload', []);
        sendJson(res, 202, { status: 'reloading', workers });
      },
    },
    '/scale': {
      POST: async (req, res) => {
        const { workers } = await readBody(req, scaleBody);
        await control.call('scale', [workers]);
        sendJson(res, 202, { status: 'scaling', workers });
      },
    },
    '/log-level': {
      POST: async (req, res) => {
        const { level } = await readBody(req, logLevelBody);
        await control.call('setLogLevel', [level]);
        sendJson(res, 200, { level });
      },
    },
  };

  const server = http.createServer(
    {
      headersTimeout: config.httpHeadersTimeoutMs,
      // Admin bodies are 1 kB at most: a request still arriving after this is a slow sender.
      requestTimeout: config.httpHeadersTimeoutMs + 5_000,
      keepAliveTimeout: config.httpKeepAliveTimeoutMs,
      // Node checks the two timeouts above on this period (default 30 s, far too lax).
      connectionsCheckingInterval: 1_000,
      // Node would refuse a Host-less HTTP/1.1 request with a bare 400: refused below, in JSON.
      requireHostHeader: false,
    },
    (req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const run = async () => {
        if (req.httpVersion === '1.1' && !req.headers.host) throw missingHost();
        const methods = routes[path];
        if (!methods) {
          const quoted =
            path.length > MAX_ECHOED_PATH ? `${path.slice(0, MAX_ECHOED_PATH)}…` : path;
          throw new HttpError(404, 'not_found', `no route for ${quoted}`);
        }
        const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
        const handler = methods[method];
        if (!handler) {
          const allow = Object.keys(methods).flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]));
          throw new HttpError(405, 'method_not_allowed', `use ${allow.join(', ')}`, {
            headers: { Allow: allow.join(', ') },
          });
        }
        if (method === 'POST') requireAdmin(config.adminToken, req.headers.authorization);
        await handler(req, res);
      };
      run().catch((error: unknown) => {
        if (res.headersSent) return res.destroy();
        if (error instanceof HttpError) return sendError(res, error);
        logger.error({ err: error, path }, 'manager endpoint failed');
        sendJson(res, 500, errorBody('internal', 'internal error'));
      });
    },
  );
  server.on('clientError', answerClientError);
  // Any expectation but 100-continue (which Node answers itself): JSON, not Node's bare 417.
  server.on('checkExpectation', (_req: http.IncomingMessage, res: http.ServerResponse) =>
    sendError(res, expectationFailed()),
  );
  // At the cap a new connection evicts the longest-idle one (so idle clients cannot lock the
  // probes out), and is closed only when every connection has a request in progress.
  const shed = { evicted: 0, refused: 0 };
  const logShed = rateLimitedLog<void>(() => {
    logger.warn(
      { maxConnections: config.metricsMaxConnections, ...shed },
      'manager endpoint at METRICS_MAX_CONNECTIONS: idle connections evicted, new ones refused if none was idle (counts since the last such line)',
    );
    shed.evicted = 0;
    shed.refused = 0;
  });
  capConnections(server, config.metricsMaxConnections, (outcome) => {
    shed[outcome] += 1;
    logShed();
  });
  return server;
}
