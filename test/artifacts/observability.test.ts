// The observability stack, checked without running it: Prometheus config and rules (promtool),
// the rules' unit tests, the Compose file (docker-compose config), and the Grafana dashboards and
// provisioning (parsed here). test/e2e/observability.test.ts runs the same PromQL against the
// real cluster.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import {
  allPanels,
  dashboardExpressions,
  loadDashboards,
  substituteVariables,
  variableReferences,
} from '../helpers/dashboards.js';
import { deriveConfig } from '../helpers/prometheus-config.js';
import { metricNames } from '../helpers/promql.js';
import {
  PROMETHEUS_CONFIG,
  ROOT,
  RULE_TESTS_DIR,
  GRAFANA_PROVISIONING_DIR,
} from '../helpers/repo-paths.js';
import { alertRuleExpressions, recordingRuleExpressions, ruleFiles } from '../helpers/rules.js';
import { checkTools, run } from '../helpers/tools.js';

/** Every panel, target and query variable names its datasource by this dashboard variable. */
const DATASOURCE_VARIABLE = '${datasource}';

const promtool = checkTools(['promtool'], 'Checking the Prometheus config and rules');
const compose = checkTools(['docker-compose'], 'Checking docker-compose.yml');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kcs-observability-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function expectSuccess(result: { status: number | null; stdout: string; stderr: string }) {
  expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
}

function ruleTestFiles(): string[] {
  return fs
    .readdirSync(RULE_TESTS_DIR)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => path.join(RULE_TESTS_DIR, name));
}

describe('Prometheus config and rules (promtool)', () => {
  if (promtool.fail) {
    it('promtool is installed', () => {
      throw new Error(promtool.message);
    });
  }
  const tool = promtool.paths.promtool as string;

  it.skipIf(promtool.skip || promtool.fail)('promtool check config: prometheus.yml', () => {
    expectSuccess(run(tool, ['check', 'config', PROMETHEUS_CONFIG]));
  });

  it.skipIf(promtool.skip || promtool.fail)(
    'promtool check config: the loopback config the e2e test derives from it',
    () => {
      const file = path.join(tmp, 'derived.yml');
      fs.writeFileSync(file, deriveConfig({ target: '127.0.0.1:9464', self: '127.0.0.1:9090' }));
      expectSuccess(run(tool, ['check', 'config', file]));
      const derived = YAML.parse(fs.readFileSync(file, 'utf8')) as {
        global: Record<string, string>;
        scrape_configs: { job_name: string; static_configs?: { targets: string[] }[] }[];
      };
      expect(derived.global.scrape_interval).toBe('1s');
      const cluster = derived.scrape_configs.find((job) => job.job_name === 'cluster');
      expect(cluster?.static_configs?.[0]?.targets).toEqual(['127.0.0.1:9464']);
      expect(JSON.stringify(cluster)).not.toContain('dns_sd_configs');
    },
  );

  it.skipIf(promtool.skip || promtool.fail)('promtool check rules: every rule file', () => {
    const files = ruleFiles();
    expect(files.length).toBeGreaterThan(0);
    expectSuccess(run(tool, ['check', 'rules', ...files]));
  });

  it.skipIf(promtool.skip || promtool.fail)(
    'promtool test rules: every alert unit test passes',
    () => {
      const files = ruleTestFiles();
      expect(files.length).toBeGreaterThan(0);
      expectSuccess(run(tool, ['test', 'rules', ...files], { cwd: RULE_TESTS_DIR }));
    },
  );

  it.skipIf(promtool.skip || promtool.fail)(
    'every dashboard expression is valid PromQL (k6 panels included)',
    () => {
      // promtool parses PromQL only inside rule files: give each expression a rule of its own.
      const expressions = dashboardExpressions();
      const file = path.join(tmp, 'dashboard-expressions.yml');
      fs.writeFileSync(
        file,
        YAML.stringify({
          groups: [
            {
              name: 'dashboard-expressions',
              rules: expressions.map((e, i) => ({ record: `dashboard_expr_${i}`, expr: e.expr })),
            },
          ],
        }),
      );
      const result = run(tool, ['check', 'rules', file]);
      const index = /dashboard_expr_(\d+)/.exec(result.stderr + result.stdout)?.[1];
      const culprit = index === undefined ? undefined : expressions[Number(index)];
      expect(
        result.status,
        `${result.stdout}\n${result.stderr}\n${culprit ? `${culprit.dashboard} / ${culprit.where}: ${culprit.raw}` : ''}`,
      ).toBe(0);
    },
  );
});

describe('alerting and recording rules (structure)', () => {
  const alerts = alertRuleExpressions();

  it('every alert has a unit test where it fires and one where it stays quiet', () => {
    const fires = new Set<string>();
    const quiet = new Set<string>();
    for (const file of ruleTestFiles()) {
      const parsed = YAML.parse(fs.readFileSync(file, 'utf8')) as {
        tests?: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
      };
      for (const test of parsed.tests ?? []) {
        for (const check of test.alert_rule_test ?? []) {
          if ((check.exp_alerts ?? []).length > 0) fires.add(check.alertname);
          else quiet.add(check.alertname);
        }
      }
    }
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts.map((a) => a.name).filter((name) => !fires.has(name))).toEqual([]);
    expect(alerts.map((a) => a.name).filter((name) => !quiet.has(name))).toEqual([]);
  });

  it('alert names are unique; each has a severity, a summary and a runbook_url to its section of docs/runbooks.md', () => {
    const runbooks = fs.readFileSync(path.join(ROOT, 'docs', 'runbooks.md'), 'utf8');
    const names = alerts.map((a) => a.name);
    expect(new Set(names).size).toBe(names.length);
    for (const file of ruleFiles()) {
      const parsed = YAML.parse(fs.readFileSync(file, 'utf8')) as {
        groups: {
          rules: {
            alert?: string;
            labels?: Record<string, string>;
            annotations?: Record<string, string>;
          }[];
        }[];
      };
      for (const rule of parsed.groups.flatMap((g) => g.rules)) {
        if (!rule.alert) continue;
        expect(rule.labels?.severity, rule.alert).toMatch(/^(page|critical|warning)$/);
        expect(rule.annotations?.summary, rule.alert).toBeTruthy();
        // runbook_url: the kubernetes-mixin / kube-prometheus-stack annotation name.
        expect(rule.annotations?.runbook_url, rule.alert).toBe(
          `docs/runbooks.md#${rule.alert.toLowerCase()}`,
        );
        expect(runbooks, `docs/runbooks.md needs a "## ${rule.alert}" section`).toMatch(
          new RegExp(`^## ${rule.alert}\\s*$`, 'm'),
        );
      }
    }
    // And no section for an alert that does not exist (a renamed alert leaves none behind).
    const sections = [...runbooks.matchAll(/^## (\w+)\s*$/gm)].map((m) => m[1]);
    expect(sections.sort()).toEqual([...names].sort());
  });

  it('recorded names are unique and follow level:metric:operations', () => {
    const names = recordingRuleExpressions().map((r) => r.name);
    expect(names.length).toBeGreaterThan(0);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/);
  });

  it('the SLO objectives are the documented ones (99.9% availability, 99% under 0.5 s)', () => {
    const slo = fs.readFileSync(path.join(ROOT, 'prometheus', 'rules', 'slo.yml'), 'utf8');
    expect(slo).toContain('(14.4 * 0.001)');
    expect(slo).toContain('(6 * 0.001)');
    expect(slo).toContain('(14.4 * 0.01)');
    expect(slo).toContain('(6 * 0.01)');
    expect(slo).toContain('le="0.5", route!~"/api/delay|/api/work"');
  });

  it('metricNames() finds selectors and skips functions, keywords and labels', () => {
    expect(
      metricNames(
        'sum by (job) (rate(http_request_duration_seconds_count{status_code=~"5.."}[5m])) or 0 * up offset 15m > bool 1e-3',
      ).sort(),
    ).toEqual(['http_request_duration_seconds_count', 'up']);
  });
});

describe('docker-compose.yml', () => {
  if (compose.fail) {
    it('docker-compose is installed', () => {
      throw new Error(compose.message);
    });
  }

  it.skipIf(compose.skip || compose.fail)(
    'docker-compose config -q passes with no environment and no .env file, in every profile',
    () => {
      expect(
        fs.existsSync(path.join(ROOT, '.env')),
        'a .env file would hide missing defaults',
      ).toBe(false);
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp };
      expectSuccess(
        run(compose.paths['docker-compose'] as string, ['config', '-q'], { env, cwd: ROOT }),
      );
      for (const profile of ['load', 'tracing']) {
        expectSuccess(
          run(compose.paths['docker-compose'] as string, ['--profile', profile, 'config', '-q'], {
            env,
            cwd: ROOT,
          }),
        );
      }
    },
  );

  interface Service {
    image?: string;
    build?: unknown;
    environment?: Record<string, string | null>;
    ports?: string[];
    healthcheck?: { test: unknown };
    depends_on?: Record<string, { condition: string }>;
    profiles?: string[];
    command?: string[];
    entrypoint?: string[];
    volumes?: string[];
    stop_grace_period?: string;
  }
  const file = YAML.parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, Service>;
  };
  const services = file.services;

  it('pins every image, and every long-running service has a healthcheck', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.image && !service.build) {
        expect(service.image, name).toMatch(/:v?\d+\.\d+\.\d+$/);
      }
      if (name !== 'k6') expect(service.healthcheck, name).toBeDefined();
    }
  });

  it('app: scrapeable, scalable, stops gracefully', () => {
    const app = services.app as Service;
    expect(app.build).toBeDefined();
    expect(app.environment?.METRICS_HOST).toBe('0.0.0.0');
    // --scale app=3: published ports must be ranges (or absent), never one fixed host port.
    for (const port of app.ports ?? []) expect(port).toMatch(/\d+-\d+:\d+$/);
    const grace = Number(/^(\d+)s$/.exec(app.stop_grace_period ?? '')?.[1]);
    const shutdown = Number(app.environment?.SHUTDOWN_TIMEOUT_MS ?? 10_000) / 1000;
    expect(grace).toBeGreaterThan(shutdown);
  });

  it('prometheus: remote-write receiver and exemplar storage on, the repo config and rules mounted', () => {
    const prometheus = services.prometheus as Service;
    expect(prometheus.command).toContain('--web.enable-remote-write-receiver');
    // Without it Prometheus drops the exemplars it scrapes, and the latency panels show no dots.
    expect(prometheus.command).toContain('--enable-feature=exemplar-storage');
    expect(prometheus.volumes).toEqual(
      expect.arrayContaining([
        './prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
        './prometheus/rules:/etc/prometheus/rules:ro',
      ]),
    );
  });

  it('grafana: provisioned, anonymous Viewer, admin password from the environment', () => {
    const grafana = services.grafana as Service;
    expect(grafana.environment?.GF_AUTH_ANONYMOUS_ENABLED).toBe('true');
    expect(grafana.environment?.GF_AUTH_ANONYMOUS_ORG_ROLE).toBe('Viewer');
    expect(grafana.environment?.GF_SECURITY_ADMIN_PASSWORD).toMatch(
      /^\$\{GRAFANA_ADMIN_PASSWORD:-.+\}$/,
    );
    expect(grafana.depends_on?.prometheus?.condition).toBe('service_healthy');
    expect(grafana.volumes).toEqual(
      expect.arrayContaining([
        './grafana/provisioning:/etc/grafana/provisioning:ro',
        './grafana/dashboards:/var/lib/grafana/dashboards:ro',
      ]),
    );
  });

  it('k6: under the load profile, remote write to Prometheus, scripts mounted', () => {
    const k6 = services.k6 as Service;
    expect(k6.profiles).toEqual(['load']);
    expect(k6.environment?.K6_OUT).toBe('experimental-prometheus-rw');
    expect(k6.environment?.K6_PROMETHEUS_RW_SERVER_URL).toBe('http://prometheus:9090/api/v1/write');
    expect(k6.environment?.BASE_URL).toBe('http://app:8080');
    expect(k6.environment?.MANAGER_URL).toBe('http://app:9464');
    expect(k6.volumes).toContain('./k6:/scripts:ro');
    expect(k6.depends_on?.app?.condition).toBe('service_healthy');
  });

  it('jaeger: under the tracing profile, OTLP/HTTP and UI published; the app exports only when told', () => {
    const jaeger = services.jaeger as Service;
    expect(jaeger.profiles).toEqual(['tracing']);
    expect(jaeger.ports).toEqual(
      expect.arrayContaining(['127.0.0.1:16686:16686', '127.0.0.1:4318:4318']),
    );
    // A key without a value passes the shell's variable through and is absent when unset, so
    // the workers load no OpenTelemetry SDK unless asked; a default here would load it always.
    const app = services.app as Service;
    expect(app.environment).toHaveProperty('OTEL_EXPORTER_OTLP_ENDPOINT', null);
    expect(app.environment?.OTEL_SERVICE_NAME).toMatch(/^\$\{OTEL_SERVICE_NAME:-.+\}$/);
  });

  it('k6: SUMMARY_DIR exists before k6 writes its summaries there', () => {
    const k6 = services.k6 as Service;
    // k6 never creates the directory; the entrypoint does, then hands the command to k6.
    expect(k6.environment?.SUMMARY_DIR).toMatch(/^\/tmp\/\w+$/);
    expect(k6.entrypoint).toEqual(['sh', '-c', 'mkdir -p "$$SUMMARY_DIR" && exec k6 "$$@"', 'k6']);
    expect(k6.command?.[0]).toBe('run');
  });
});

describe('Grafana dashboards and provisioning', () => {
  const dashboards = loadDashboards();
  const datasources = YAML.parse(
    fs.readFileSync(path.join(GRAFANA_PROVISIONING_DIR, 'datasources', 'prometheus.yml'), 'utf8'),
  ) as { datasources: { uid: string; type: string; url: string }[] };
  const datasourceUid = datasources.datasources[0]?.uid;

  it("the Prometheus datasource links exemplars' trace_id to a provisioned tracing datasource", () => {
    const dir = path.join(GRAFANA_PROVISIONING_DIR, 'datasources');
    const all = fs.readdirSync(dir).flatMap(
      (name) =>
        (
          YAML.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as {
            datasources: { uid: string; type: string; url: string }[];
          }
        ).datasources,
    );
    const prometheus = datasources.datasources[0] as {
      jsonData?: { exemplarTraceIdDestinations?: { name: string; datasourceUid?: string }[] };
    };
    const destinations = prometheus.jsonData?.exemplarTraceIdDestinations ?? [];
    expect(destinations.map((d) => d.name)).toEqual(['trace_id']);
    for (const { datasourceUid } of destinations) {
      const target = all.find((d) => d.uid === datasourceUid);
      expect(target?.type, `no provisioned datasource has uid ${datasourceUid}`).toBe('jaeger');
      // The Compose service of the tracing profile, on its query port.
      expect(target?.url).toBe('http://jaeger:16686');
    }
  });

  it('has the four dashboards, each parsing, with unique uids and titles', () => {
    expect(dashboards.map((d) => path.basename(d.file))).toEqual([
      'cluster.json',
      'k6.json',
      'runtime.json',
      'service.json',
    ]);
    const uids = dashboards.map((d) => d.dashboard.uid);
    for (const uid of uids) expect(uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(new Set(uids).size).toBe(uids.length);
    const titles = dashboards.map((d) => d.dashboard.title);
    expect(new Set(titles).size).toBe(titles.length);
  });

  it('the provisioned datasource has a fixed uid and points at the compose Prometheus', () => {
    expect(datasourceUid).toBe('prometheus');
    expect(datasources.datasources[0]?.url).toBe('http://prometheus:9090');
    const provider = YAML.parse(
      fs.readFileSync(
        path.join(GRAFANA_PROVISIONING_DIR, 'dashboards', 'koa-cluster-service.yml'),
        'utf8',
      ),
    ) as { providers: { options: { path: string } }[] };
    expect(provider.providers[0]?.options.path).toBe('/var/lib/grafana/dashboards');
  });

  for (const { file, dashboard } of dashboards) {
    const name = path.basename(file);
    describe(name, () => {
      const panels = allPanels(dashboard).filter((panel) => panel.type !== 'row');

      it('every panel has a unit, the ${datasource} variable as datasource, and targets with an expr', () => {
        expect(panels.length).toBeGreaterThan(0);
        for (const panel of panels) {
          const where = `${name} / ${panel.title}`;
          expect(panel.fieldConfig?.defaults?.unit, `${where}: fieldConfig.defaults.unit`).toEqual(
            expect.any(String),
          );
          expect(panel.fieldConfig?.defaults?.unit, where).not.toBe('');
          expect(panel.datasource?.uid, where).toBe(DATASOURCE_VARIABLE);
          expect(panel.targets?.length ?? 0, `${where}: targets`).toBeGreaterThan(0);
          for (const target of panel.targets ?? []) {
            expect(target.expr, `${where} / ${target.refId}: expr`).toEqual(expect.any(String));
            expect((target.expr as string).trim(), where).not.toBe('');
            if (target.datasource) expect(target.datasource.uid, where).toBe(DATASOURCE_VARIABLE);
          }
        }
      });

      it('names no job: server-side series are selected by the $job variable', () => {
        // The job label is "cluster" under Compose, "namespace/podmonitor" under the Prometheus
        // Operator and anything under another config: a fixed value empties the panel there.
        const exprs = panels.flatMap((panel) => (panel.targets ?? []).map((t) => String(t.expr)));
        const literal = exprs.filter((expr) => /\bjob\s*=~?\s*"(?!\$job")/.test(expr));
        expect(literal).toEqual([]);
        if (exprs.some((expr) => expr.includes('$job'))) {
          expect(dashboard.templating?.list.map((v) => v.name)).toContain('job');
        }
      });

      it('every latency query of a timeseries or heatmap panel asks for exemplars', () => {
        // Those two panel types draw exemplars as dots; the service attaches them to the
        // http_request_duration_seconds buckets. Stat panels cannot show them.
        const latency = panels
          .filter((panel) => panel.type === 'timeseries' || panel.type === 'heatmap')
          .flatMap((panel) =>
            (panel.targets ?? [])
              .filter((t) => String(t.expr).includes('http_request_duration_seconds_bucket'))
              .map((t) => ({ where: `${panel.title} / ${t.refId}`, exemplar: t.exemplar })),
          );
        expect(latency.filter((t) => t.exemplar !== true)).toEqual([]);
        if (name === 'service.json') expect(latency.length).toBeGreaterThanOrEqual(5);
      });

      it('is portable: a Prometheus datasource variable, no fixed datasource uid anywhere', () => {
        const variable = dashboard.templating?.list.find((v) => v.name === 'datasource');
        expect(variable).toMatchObject({ type: 'datasource', query: 'prometheus' });
        expect(dashboard.templating?.list[0]?.name, 'datasource is the first variable').toBe(
          'datasource',
        );
        const uids = JSON.stringify(dashboard).match(/"uid":"[^"]*"/g) ?? [];
        // Allowed: the dashboard's own uid and Grafana's built-in annotation source.
        const fixed = uids.filter(
          (u) => !u.includes(DATASOURCE_VARIABLE) && u !== '"uid":"-- Grafana --"',
        );
        expect(fixed).toEqual([`"uid":"${dashboard.uid}"`]);
      });

      it('where it filters by job/instance, it filters by Kubernetes namespace/pod too', () => {
        const names = (dashboard.templating?.list ?? []).map((v) => v.name);
        if (!names.includes('instance')) return;
        for (const name of ['namespace', 'pod']) {
          const variable = dashboard.templating?.list.find((v) => v.name === name);
          // `.*` also matches series without the label: Compose has no namespace or pod.
          expect(variable, name).toMatchObject({ includeAll: true, allValue: '.*' });
        }
        for (const { raw, where } of dashboardExpressions().filter((e) => e.dashboard === name)) {
          if (!raw.includes('instance=~"$instance"')) continue;
          expect(raw, where).toContain(
            'namespace=~"$namespace", pod=~"$pod", instance=~"$instance"',
          );
        }
      });

      it('panel ids are unique', () => {
        const ids = panels.map((panel) => panel.id);
        expect(new Set(ids).size).toBe(ids.length);
      });

      it('every variable used is defined, and only inside regex matchers (=~ / !~)', () => {
        const defined = new Set((dashboard.templating?.list ?? []).map((v) => v.name));
        const expressions = dashboardExpressions().filter((e) => e.dashboard === name);
        for (const { raw, where } of expressions) {
          for (const variable of variableReferences(raw)) {
            expect(defined.has(variable), `${name} / ${where}: $${variable} is not defined`).toBe(
              true,
            );
            // `label="$var"` breaks with multi-value and All; the e2e test substitutes `.+`.
            const inRegex = new RegExp(`[=!]~\\s*"[^"]*\\$\\{?${variable}\\b[^"]*"`);
            const anywhere = new RegExp(`\\$\\{?${variable}\\b`, 'g');
            const total = raw.match(anywhere)?.length ?? 0;
            const regexUses = raw.match(new RegExp(inRegex.source, 'g'))?.length ?? 0;
            expect(regexUses, `${name} / ${where}: $${variable} outside a regex matcher`).toBe(
              total,
            );
          }
          expect(substituteVariables(raw)).not.toMatch(/\$\w|\[\[/);
        }
      });

      it('panel expressions of the service never use the `__name__` matcher or raw paths', () => {
        for (const { raw, where } of dashboardExpressions().filter((e) => e.dashboard === name)) {
          expect(raw, where).not.toContain('__name__');
          expect(raw, where).not.toMatch(/\bpath=/);
        }
      });
    });
  }
});
