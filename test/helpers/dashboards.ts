// The Grafana dashboards the repo ships (grafana/dashboards/*.json): parsed, flattened, and
// every PromQL expression in them with its template variables substituted, ready for Prometheus.
import fs from 'node:fs';
import path from 'node:path';
import { DASHBOARDS_DIR } from './repo-paths.js';

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
