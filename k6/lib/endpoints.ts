// Every HTTP endpoint the load tests call, in one list: the k6 scripts (through lib/request.ts),
// the Node load runner (scripts/load) and the endpoint test (test/integration) all read it, so a
// URL cannot be load-tested that the contract test has not called against the real cluster.
//
// Pure data and pure functions only: no k6 imports, no Node imports. This file is type-checked
// both by k6/tsconfig.json and by the root tsconfig (it is imported from Node code).

export type HttpMethod = 'GET' | 'POST';

/** Which listener serves the endpoint: the worker API port or the manager's own endpoint. */
export type Target = 'api' | 'manager';

/**
 * `fast` endpoints are held to the latency SLO (p99 < 500 ms); `slow` ones (deliberate waits,
 * CPU-bound work, and the manager's endpoints, which are not the API) are not.
 */
export type LatencyClass = 'fast' | 'slow';

/** What a correct response body looks like: a JSON document, some text, or anything. */
export type BodyKind = 'json' | 'text' | 'any';

export interface Endpoint {
  /** Route template, `METHOD /path`: the k6 `name` tag. Never contains query values. */
  readonly name: string;
  /** Human label for check names; differs from `name` for the deliberate-error calls. */
  readonly label: string;
  readonly target: Target;
  readonly method: HttpMethod;
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  /** JSON request body, sent with `Content-Type: application/json`. */
  readonly body?: Readonly<Record<string, unknown>>;
  /** Needs `Authorization: Bearer $ADMIN_TOKEN`. */
  readonly auth?: boolean;
  readonly expectedStatus: number;
  readonly latency: LatencyClass;
  readonly response: BodyKind;
  /** Top-level keys a JSON body must have. */
  readonly requiredKeys?: readonly string[];
  /** Text a body must contain. */
  readonly requiredText?: string;
}

function endpoint(e: Omit<Endpoint, 'name' | 'label'> & { label?: string }): Endpoint {
  const name = `${e.method} ${e.path}`;
  return { ...e, name, label: e.label ?? name };
}

export const ENDPOINTS = {
  root: endpoint({
    target: 'api',
    method: 'GET',
    path: '/',
    expectedStatus: 200,
    latency: 'fast',
    response: 'json',
    requiredKeys: ['service', 'version', 'slot', 'pid'],
  }),
  healthz: endpoint({
    target: 'api',
    method: 'GET',
    path: '/healthz',
    expectedStatus: 200,
    latency: 'fast',
    response: 'any',
  }),
  readyz: endpoint({
    target: 'api',
    method: 'GET',
    path: '/readyz',
    expectedStatus: 200,
    latency: 'fast',
    response: 'any',
  }),
  hello: endpoint({
    target: 'api',
    method: 'GET',
    path: '/api/hello',
    query: { name: 'k6' },
    expectedStatus: 200,
    latency: 'fast',
    response: 'json',
  }),
  work: endpoint({
    target: 'api',
    method: 'GET',
    path: '/api/work',
    query: { ms: '5' },
    expectedStatus: 200,
    latency: 'slow',
    response: 'json',
  }),
  delay: endpoint({
    target: 'api',
    method: 'GET',
    path: '/api/delay',
    query: { ms: '20' },
    expectedStatus: 200,
    latency: 'slow',
    response: 'json',
  }),
  hash: endpoint({
    target: 'api',
    method: 'POST',
    path: '/api/hash',
    body: { input: 'k6', iterations: 1000 },
    expectedStatus: 200,
    latency: 'fast',
    response: 'json',
  }),
  /** Deliberately invalid input: the API must answer 400 with a JSON error. */
  badInput: endpoint({
    label: 'GET /api/work?ms=not-a-number (expect 400)',
    target: 'api',
    method: 'GET',
    path: '/api/work',
    query: { ms: 'not-a-number' },
    expectedStatus: 400,
    latency: 'fast',
    response: 'json',
  }),
  /** Deliberately unknown route: the API must answer 404 with a JSON error. */
  notFound: endpoint({
    label: 'GET /api/no-such-route (expect 404)',
    target: 'api',
    method: 'GET',
    path: '/api/no-such-route',
    expectedStatus: 404,
    latency: 'fast',
    response: 'json',
  }),
  managerHealthz: endpoint({
    label: 'manager GET /healthz',
    target: 'manager',
    method: 'GET',
    path: '/healthz',
    expectedStatus: 200,
    latency: 'slow',
    response: 'any',
  }),
  managerStatus: endpoint({
    label: 'manager GET /status',
    target: 'manager',
    method: 'GET',
    path: '/status',
    expectedStatus: 200,
    latency: 'slow',
    response: 'json',
    requiredKeys: ['manager', 'workers'],
  }),
  managerMetrics: endpoint({
    label: 'manager GET /metrics',
    target: 'manager',
    method: 'GET',
    path: '/metrics',
    expectedStatus: 200,
    latency: 'slow',
    response: 'text',
    requiredText: '# TYPE ',
  }),
  reload: endpoint({
    label: 'manager POST /reload',
    target: 'manager',
    method: 'POST',
    path: '/reload',
    auth: true,
    expectedStatus: 202,
    latency: 'slow',
    response: 'any',
  }),
} as const satisfies Record<string, Endpoint>;

/** Every endpoint, in a stable order, side-effect-free ones first and the reload last. */
export const ALL_ENDPOINTS: readonly Endpoint[] = Object.values(ENDPOINTS);

/** Path plus query string, e.g. `/api/hello?name=k6`. `query` replaces the endpoint's own. */
export function pathWithQuery(e: Endpoint, query?: Readonly<Record<string, string>>): string {
  const q = query ?? e.query;
  if (q === undefined) return e.path;
  const pairs = Object.keys(q).map(
    (key) => `${encodeURIComponent(key)}=${encodeURIComponent(String(q[key]))}`,
  );
  return pairs.length === 0 ? e.path : `${e.path}?${pairs.join('&')}`;
}

/** The JSON request body as sent on the wire, or null when the endpoint takes none. */
export function requestBody(e: Endpoint): string | null {
  return e.body === undefined ? null : JSON.stringify(e.body);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why a response status is wrong for this endpoint, or undefined when it is right. */
export function statusProblem(e: Endpoint, status: number): string | undefined {
  return status === e.expectedStatus ? undefined : `expected ${e.expectedStatus}, got ${status}`;
}

/**
 * Why a response body is wrong for this endpoint (empty when it is right). Error statuses must
 * carry the service's JSON error shape `{ error: { code, message } }`.
 */
export function bodyProblems(e: Endpoint, status: number, body: string | null): string[] {
  const text = body ?? '';
  const problems: string[] = [];
  const wantsJson = e.response === 'json' || status >= 400;
  if (wantsJson) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return [`body is not JSON: ${JSON.stringify(text.slice(0, 80))}`];
    }
    if (!isObject(parsed)) return ['JSON body is not an object'];
    for (const key of e.requiredKeys ?? []) {
      if (!(key in parsed)) problems.push(`JSON body lacks "${key}"`);
    }
    if (status >= 400) {
      const error = parsed.error;
      if (!isObject(error) || typeof error.code !== 'string' || typeof error.message !== 'string') {
        problems.push('error body is not {"error":{"code":string,"message":string}}');
      }
    }
  }
  if (e.response === 'text' && text.length === 0) problems.push('body is empty');
  if (e.requiredText !== undefined && !text.includes(e.requiredText)) {
    problems.push(`body lacks ${JSON.stringify(e.requiredText)}`);
  }
  return problems;
}

/** One request of a traffic mix: an endpoint, optionally with its query replaced. */
export interface MixItem {
  readonly endpoint: Endpoint;
  readonly query?: Readonly<Record<string, string>>;
}

/** Expands weights into an interleaved sequence: [[a,2],[b,1]] -> a, b, a. */
export function mix(weighted: ReadonlyArray<readonly [MixItem | Endpoint, number]>): MixItem[] {
  const remaining = weighted.map(([item, weight]) => ({
    item: 'endpoint' in item ? item : { endpoint: item },
    left: weight,
  }));
  const out: MixItem[] = [];
  while (remaining.some((r) => r.left > 0)) {
    for (const r of remaining) {
      if (r.left > 0) {
        out.push(r.item);
        r.left -= 1;
      }
    }
  }
  return out;
}

/**
 * Steady-state traffic: API endpoints that answer 2xx, mostly cheap, with a little CPU-bound
 * work and async waiting. No /readyz: it answers 503 by design on a draining worker.
 */
export const LOAD_MIX: readonly MixItem[] = mix([
  [ENDPOINTS.hello, 4],
  [ENDPOINTS.root, 2],
  [ENDPOINTS.healthz, 1],
  [ENDPOINTS.hash, 1],
  [ENDPOINTS.work, 1],
  [ENDPOINTS.delay, 1],
]);

/** Stress traffic: heavier on CPU-bound work, which is what saturates the workers. */
export const STRESS_MIX: readonly MixItem[] = mix([
  [ENDPOINTS.hello, 3],
  [{ endpoint: ENDPOINTS.work, query: { ms: '10' } }, 2],
  [ENDPOINTS.hash, 1],
  [ENDPOINTS.root, 1],
]);

/** Smoke: every API endpoint that answers 2xx (the deliberate errors are called separately). */
export const SMOKE_API: readonly Endpoint[] = [
  ENDPOINTS.root,
  ENDPOINTS.healthz,
  ENDPOINTS.readyz,
  ENDPOINTS.hello,
  ENDPOINTS.work,
  ENDPOINTS.delay,
  ENDPOINTS.hash,
];

/** Smoke: the deliberate client errors. */
export const SMOKE_ERRORS: readonly Endpoint[] = [ENDPOINTS.badInput, ENDPOINTS.notFound];

/** Smoke: the manager's read-only endpoints. */
export const SMOKE_MANAGER: readonly Endpoint[] = [
  ENDPOINTS.managerHealthz,
  ENDPOINTS.managerStatus,
  ENDPOINTS.managerMetrics,
];
