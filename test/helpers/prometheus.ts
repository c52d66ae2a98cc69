// A real Prometheus for tests, configured from the repo's own prometheus/prometheus.yml (not a
// second copy kept by hand), plus the PromQL the repo ships: every dashboard target with its
// template variables substituted, and every rule expression.
//
// Also the one place that decides what happens when Debian's `prometheus`, `promtool` or
// `docker-compose` are missing: in CI (CI=true) the tests fail, on a laptop they skip loudly.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { freePort } from './ports.js';
import { waitUntil } from './wait.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PROMETHEUS_DIR = path.join(ROOT, 'prometheus');
export const PROMETHEUS_CONFIG = path.join(PROMETHEUS_DIR, 'prometheus.yml');
export const RULES_DIR = path.join(PROMETHEUS_DIR, 'rules');
export const RULE_TESTS_DIR = path.join(PROMETHEUS_DIR, 'tests');
export const DASHBOARDS_DIR = path.join(ROOT, 'grafana', 'dashboards');
export const GRAFANA_PROVISIONING_DIR = path.join(ROOT, 'grafana', 'provisioning');

// ------------------------------------------------------------------------------------- tools

const TOOL_ENV: Record<string, string> = {
  prometheus: 'PROMETHEUS_BIN',
  promtool: 'PROMTOOL_BIN',
  'docker-compose': 'DOCKER_COMPOSE_BIN',
};

/** Absolute path of a tool: $PROMETHEUS_BIN etc., then /usr/bin (Debian), then $PATH. */
export function findTool(name: string): string | undefined {
  const override = TOOL_ENV[name] ? process.env[TOOL_ENV[name]] : undefined;
  const candidates = [
    ...(override ? [override] : []),
    path.join('/usr/bin', name),
    ...(process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, name)),
  ];
  return candidates.find((file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

export interface ToolCheck {
  /** Tool name -> absolute path, for the tools that were found. */
  paths: Record<string, string>;
  missing: string[];
  /** Missing tools on a laptop: skip (a loud warning has been printed). */
  skip: boolean;
  /** Missing tools in CI: the suite must fail; `message` says why. */
  fail: boolean;
  message: string;
}

/**
 * Looks the tools up once per test file. Missing in CI (CI=true): `fail` is set and the caller
 * registers a failing test with `message`. Missing elsewhere: `skip` is set and a warning that
 * says how to install them is printed.
 */
export function checkTools(names: string[], what: string): ToolCheck {
  const paths: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of names) {
    const found = findTool(name);
    if (found) paths[name] = found;
    else missing.push(name);
  }
  const ci = process.env.CI === 'true';
  const message =
    missing.length === 0
      ? ''
      : `${what} needs ${missing.join(', ')}, not found on this machine. ` +
        "Install Debian's packages: `sudo apt-get install prometheus docker-compose` " +
        '(or point PROMETHEUS_BIN / PROMTOOL_BIN / DOCKER_COMPOSE_BIN at the binaries).';
  if (missing.length > 0 && !ci) {
    const bar = '!'.repeat(100);
    console.warn(
      `\n${bar}\n!! SKIPPED: ${message}\n!! In CI (CI=true) this is a failure.\n${bar}\n`,
    );
  }
  return {
    paths,
    missing,
    skip: missing.length > 0 && !ci,
    fail: missing.length > 0 && ci,
    message,
  };
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (the tools here are fast); `input` goes to stdin. */
export function run(
  file: string,
  args: string[],
  options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): RunResult {
  const result = spawnSync(file, args, {
    input: options.input,
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// ------------------------------------------------------------------------- derived config

interface ScrapeConfig {
  job_name: string;
  static_configs?: { targets: string[]; labels?: Record<string, string> }[];
  [key: string]: unknown;
}

interface PrometheusConfigFile {
  global?: Record<string, unknown>;
  rule_files?: string[];
  scrape_configs?: ScrapeConfig[];
  [key: string]: unknown;
}

export interface DeriveOptions {
  /** host:port of the manager endpoint that replaces the DNS discovery of job `cluster`. */
  target: string;
  /** host:port of this Prometheus, for the self-scrape job (`localhost:9090` in the repo). */
  self?: string;
  /** Scrape and rule evaluation interval; also the scrape timeout. */
  interval?: string;
  /** Source file (defaults to the repo's prometheus/prometheus.yml). */
  source?: string;
}

/** Service-discovery keys Prometheus knows; a job using any of them is not runnable locally. */
function discoveryKeys(job: ScrapeConfig): string[] {
  return Object.keys(job).filter((key) => key.endsWith('_sd_configs'));
}

/**
 * The repo's prometheus.yml made runnable on loopback: the job discovered by DNS (`cluster`)
 * scrapes `target` instead, the self-scrape points at this Prometheus, every interval is short,
 * and rule_files are absolute paths into the repo. Everything else (relabelling, metrics path,
 * job names) is kept, so the test sees the labels the real stack produces.
 */
export function deriveConfig(options: DeriveOptions): string {
  const source = options.source ?? PROMETHEUS_CONFIG;
  const interval = options.interval ?? '1s';
  const config = YAML.parse(fs.readFileSync(source, 'utf8')) as PrometheusConfigFile;
  const baseDir = path.dirname(source);

  config.global = {
    ...config.global,
    scrape_interval: interval,
    scrape_timeout: interval,
    evaluation_interval: interval,
  };
  config.rule_files = (config.rule_files ?? []).map((pattern) => path.resolve(baseDir, pattern));
  // No Alertmanager or remote storage runs next to the tests.
  delete config.alerting;
  delete config.remote_write;
  delete config.remote_read;

  const jobs: ScrapeConfig[] = [];
  let clusterJobs = 0;
  for (const job of config.scrape_configs ?? []) {
    const derived: ScrapeConfig = { ...job };
    delete derived.scrape_interval;
    delete derived.scrape_timeout;
    const sd = discoveryKeys(job);
    if (job.job_name === 'cluster') {
      if (sd.length === 0 && !job.static_configs) {
        throw new Error('job `cluster` in prometheus.yml has no targets to replace');
      }
      for (const key of sd) delete derived[key];
      derived.static_configs = [{ targets: [options.target] }];
      clusterJobs += 1;
    } else if (sd.length > 0) {
      // Another discovered job (e.g. Grafana): nothing answers for it here.
      continue;
    } else {
      const targets = (job.static_configs ?? []).flatMap((group) => group.targets);
      const self = targets.every((t) => /^(localhost|127\.0\.0\.1):9090$/.test(t));
      if (!self) continue;
      derived.static_configs = [{ targets: [options.self ?? 'localhost:9090'] }];
    }
    jobs.push(derived);
  }
  if (clusterJobs !== 1) {
    throw new Error(
      `prometheus.yml must have exactly one job named \`cluster\` (found ${clusterJobs})`,
    );
  }
  config.scrape_configs = jobs;
  return YAML.stringify(config);
}

// ------------------------------------------------------------------------------ prometheus

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface RangeSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

export interface PrometheusHandle {
  url: string;
  port: number;
  dir: string;
  configFile: string;
  /** Unix seconds when Prometheus became ready. */
  startedAt: number;
  query(expr: string, time?: number): Promise<Sample[]>;
  queryRange(expr: string, start: number, end: number, stepSeconds: number): Promise<RangeSeries[]>;
  /** Polls `expr` until `accept` returns true for its result (or the deadline passes). */
  waitFor(
    expr: string,
    accept: (samples: Sample[]) => boolean,
    description: string,
    timeoutMs?: number,
  ): Promise<Sample[]>;
  logs(): string;
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** host:port of the cluster manager's metrics endpoint. */
  target: string;
  /** Scrape and evaluation interval (default 1s). */
  interval?: string;
  binary?: string;
  readyTimeoutMs?: number;
}

export class PrometheusQueryError extends Error {
  constructor(
    readonly expr: string,
    readonly errorType: string,
    message: string,
  ) {
    super(`${errorType}: ${message}\n  in: ${expr}`);
    this.name = 'PrometheusQueryError';
  }
}

/** Starts /usr/bin/prometheus on a free loopback port with a temporary data directory. */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusHandle> {
  const binary = options.binary ?? findTool('prometheus');
  if (!binary) throw new Error('prometheus binary not found (apt-get install prometheus)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kcs-prometheus-'));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const configFile = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(
    configFile,
    deriveConfig({ target: options.target, self: address, interval: options.interval }),
  );
  const proc = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      '--storage.tsdb.retention.time=1d',
      `--web.listen-address=${address}`,
      '--log.level=info',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const killOnExit = () => proc.kill('SIGKILL');
  process.once('exit', killOnExit);

  const url = `http://${address}`;

  async function api<T>(
    endpoint: string,
    params: Record<string, string>,
    expr: string,
  ): Promise<T> {
    const response = await fetch(`${url}${endpoint}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as {
      status: string;
      data?: { resultType: string; result: T };
      errorType?: string;
      error?: string;
    };
    if (body.status !== 'success' || !body.data) {
      throw new PrometheusQueryError(
        expr,
        body.errorType ?? String(response.status),
        body.error ?? '',
      );
    }
    return body.data.result;
  }

  const handle: PrometheusHandle = {
    url,
    port,
    dir,
    configFile,
    startedAt: 0,
    async query(expr, time) {
      const params: Record<string, string> = { query: expr };
      if (time !== undefined) params.time = String(time);
      const result = await api<Sample[] | [number, string]>('/api/v1/query', params, expr);
      // Scalars come back as a bare [time, value]; callers want a vector.
      if (result.length === 2 && typeof result[0] === 'number') {
        return [{ metric: {}, value: result as [number, string] }];
      }
      return result as Sample[];
    },
    queryRange(expr, start, end, stepSeconds) {
      return api<RangeSeries[]>(
        '/api/v1/query_range',
        { query: expr, start: String(start), end: String(end), step: String(stepSeconds) },
        expr,
      );
    },
    waitFor(expr, accept, description, timeoutMs = 20_000) {
      return waitUntil(
        async () => {
          const samples = await handle.query(expr);
          return accept(samples) ? samples : undefined;
        },
        `${description} (${expr})`,
        timeoutMs,
        250,
      );
    },
    logs: () => output,
    async stop() {
      process.off('exit', killOnExit);
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    await Promise.race([
      waitUntil(
        async () => (await fetch(`${url}/-/ready`)).status === 200,
        `Prometheus ready on ${address}`,
        options.readyTimeoutMs ?? 30_000,
        100,
      ),
      exited.then((code) => {
        throw new Error(`prometheus exited with ${code} before it was ready:\n${output}`);
      }),
    ]);
  } catch (error) {
    await handle.stop();
    throw error;
  }
  handle.startedAt = Date.now() / 1000;
  return handle;
}

// ---------------------------------------------------------------------------------- PromQL

/** Values for Grafana's built-in variables, sized for a 1 s scrape interval. */
export const BUILTIN_VARIABLES: Readonly<Record<string, string>> = {
  __rate_interval: '1m',
  __interval: '15s',
  __interval_ms: '15000',
  __range: '5m',
  __range_s: '300',
  __range_ms: '300000',
};

/**
 * Dashboard variables become `.+`: the dashboards use them only inside regex matchers
 * (`label=~"$var"`, checked by the static test), where `.+` selects every value but, unlike `.*`,
 * still requires the label to exist, so a wrong label name returns nothing and fails the test.
 * A variable with "All" and an `allValue` gets that value instead, as Grafana sends it: the
 * Kubernetes-only `namespace` and `pod` use `.*`, which also matches series without the label
 * (Compose and these tests have no such labels).
 */
export const DEFAULT_VARIABLE_VALUE = '.+';

/** Replaces $var, ${var}, ${var:format} and [[var]] with values (Grafana's syntaxes). */
export function substituteVariables(
  expr: string,
  values: Readonly<Record<string, string>> = {},
  fallback: string = DEFAULT_VARIABLE_VALUE,
): string {
  const lookup = (name: string) => values[name] ?? BUILTIN_VARIABLES[name] ?? fallback;
  return expr
    .replace(/\$\{(\w+)(?::[^}]*)?\}/g, (_, name: string) => lookup(name))
    .replace(/\[\[(\w+)(?::[^\]]*)?\]\]/g, (_, name: string) => lookup(name))
    .replace(/\$(\w+)/g, (_, name: string) => lookup(name));
}

/** Names of the variables an expression refers to (built-ins excluded). */
export function variableReferences(expr: string): string[] {
  const names = new Set<string>();
  for (const match of expr.matchAll(/\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)/g)) {
    const name = match[1] ?? match[2] ?? match[3];
    if (name && !name.startsWith('__')) names.add(name);
  }
  return [...names];
}

export interface GrafanaTarget {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
  [key: string]: unknown;
}

export interface GrafanaPanel {
  id?: number;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  fieldConfig?: { defaults?: { unit?: string; [key: string]: unknown }; [key: string]: unknown };
  targets?: GrafanaTarget[];
  panels?: GrafanaPanel[];
  [key: string]: unknown;
}

export interface GrafanaVariable {
  name: string;
  type: string;
  includeAll?: boolean;
  allValue?: string;
  query?: string | { query?: string };
  definition?: string;
  [key: string]: unknown;
}

export interface GrafanaAnnotation {
  name: string;
  /** Legacy place of a Prometheus annotation's query; now `target.expr`. */
  expr?: string;
  target?: { expr?: string; [key: string]: unknown };
  datasource?: { type?: string; uid?: string };
  [key: string]: unknown;
}

export interface GrafanaDashboard {
  uid: string;
  title: string;
  panels: GrafanaPanel[];
  templating?: { list: GrafanaVariable[] };
  annotations?: { list: GrafanaAnnotation[] };
  [key: string]: unknown;
}

export interface LoadedDashboard {
  file: string;
  dashboard: GrafanaDashboard;
}

/** Every grafana/dashboards/*.json, parsed (throws with the file name on invalid JSON). */
export function loadDashboards(dir: string = DASHBOARDS_DIR): LoadedDashboard[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const file = path.join(dir, name);
      try {
        return { file, dashboard: JSON.parse(fs.readFileSync(file, 'utf8')) as GrafanaDashboard };
      } catch (error) {
        throw new Error(`${name}: ${(error as Error).message}`, { cause: error });
      }
    });
}

/** Panels with rows flattened (a collapsed row keeps its panels inside it). */
export function allPanels(dashboard: GrafanaDashboard): GrafanaPanel[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

/** The PromQL of a `label_values(selector, label)` variable as a query returning its values. */
export function variableQueryExpr(variable: GrafanaVariable): string | undefined {
  const raw = typeof variable.query === 'string' ? variable.query : variable.query?.query;
  const match = /^\s*label_values\((.*),\s*(\w+)\s*\)\s*$/s.exec(raw ?? '');
  if (!match) return undefined;
  return `count by (${match[2]}) (${match[1]})`;
}

export interface DashboardExpression {
  /** Dashboard file name, e.g. service.json. */
  dashboard: string;
  kind: 'panel' | 'annotation' | 'variable';
  /** Panel title, annotation name or variable name. */
  where: string;
  refId: string;
  /** As written in the dashboard. */
  raw: string;
  /** With variables substituted: ready for Prometheus. */
  expr: string;
}

/**
 * Every PromQL expression of every dashboard: panel targets, Prometheus annotations and
 * label_values() variables, with template variables substituted.
 */
export function dashboardExpressions(
  options: { values?: Record<string, string>; dir?: string } = {},
): DashboardExpression[] {
  const out: DashboardExpression[] = [];
  for (const { file, dashboard } of loadDashboards(options.dir)) {
    const name = path.basename(file);
    const allValues: Record<string, string> = {};
    for (const variable of dashboard.templating?.list ?? []) {
      if (variable.includeAll && variable.allValue) allValues[variable.name] = variable.allValue;
    }
    const values = { ...allValues, ...options.values };
    const sub = (raw: string) => substituteVariables(raw, values);
    for (const panel of allPanels(dashboard)) {
      for (const target of panel.targets ?? []) {
        if (typeof target.expr !== 'string') continue;
        out.push({
          dashboard: name,
          kind: 'panel',
          where: panel.title ?? `panel ${panel.id}`,
          refId: target.refId ?? '?',
          raw: target.expr,
          expr: sub(target.expr),
        });
      }
    }
    for (const annotation of dashboard.annotations?.list ?? []) {
      const expr = annotation.target?.expr ?? annotation.expr;
      if (typeof expr !== 'string') continue;
      out.push({
        dashboard: name,
        kind: 'annotation',
        where: annotation.name,
        refId: '-',
        raw: expr,
        expr: sub(expr),
      });
    }
    for (const variable of dashboard.templating?.list ?? []) {
      const expr = variableQueryExpr(variable);
      if (!expr) continue;
      out.push({
        dashboard: name,
        kind: 'variable',
        where: variable.name,
        refId: '-',
        raw: typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? ''),
        expr: sub(expr),
      });
    }
  }
  return out;
}

export interface RuleExpression {
  file: string;
  group: string;
  kind: 'record' | 'alert';
  /** The recorded metric's name or the alert's name. */
  name: string;
  expr: string;
}

interface RuleFile {
  groups?: {
    name: string;
    rules?: { record?: string; alert?: string; expr: string | number }[];
  }[];
}

/** prometheus/rules/*.yml (or .yaml), sorted. */
export function ruleFiles(dir: string = RULES_DIR): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => path.join(dir, name));
}

/** Every recording and alerting rule of every rule file. */
export function ruleExpressions(dir: string = RULES_DIR): RuleExpression[] {
  const out: RuleExpression[] = [];
  for (const file of ruleFiles(dir)) {
    const parsed = YAML.parse(fs.readFileSync(file, 'utf8')) as RuleFile;
    for (const group of parsed.groups ?? []) {
      for (const rule of group.rules ?? []) {
        const kind = rule.record !== undefined ? 'record' : 'alert';
        out.push({
          file: path.basename(file),
          group: group.name,
          kind,
          name: (rule.record ?? rule.alert) as string,
          expr: String(rule.expr),
        });
      }
    }
  }
  return out;
}

export const recordingRuleExpressions = (dir?: string) =>
  ruleExpressions(dir).filter((rule) => rule.kind === 'record');
export const alertRuleExpressions = (dir?: string) =>
  ruleExpressions(dir).filter((rule) => rule.kind === 'alert');

const PROMQL_KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
  'atan2',
]);

/**
 * Metric names a PromQL expression selects (a lexical approximation, good for the rules and
 * dashboards here): strings, label matchers, ranges and grouping clauses are removed, and what
 * is left that is neither a keyword, a number nor a function call is a metric name.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ')
    .replace(/\boffset\s+-?[\dsmhdwy]+/gi, ' ')
    .replace(/#.*$/gm, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.:])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const word = match[1] as string;
    if (match[2] || PROMQL_KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}
