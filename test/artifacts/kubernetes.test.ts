// deploy/kubernetes/ without a cluster: the base and the example overlay rendered by
// `kubectl kustomize`, every object validated against its schema (kubernetes-models,
// @kubernetes-models/prometheus-operator) and type-checked for unknown fields, and the
// invariants that tie the manifests to the code and to the repo's other sources of truth.
// test/integration/kubernetes-probes.test.ts asks the real manager the Deployment's probes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import {
  dashboardConfigMapName,
  DASHBOARD_LABEL,
  generatedFiles,
  GENERATED_DIR,
  RELEASE_LABEL,
} from '../../scripts/kubernetes-generate.js';
import { loadConfig } from '../../src/config.js';
import {
  BASE,
  byKind,
  checkKubectl,
  deploymentSpec,
  envValue,
  one,
  OVERLAY,
  portNumber,
  preStopSeconds,
  render,
  typecheck,
  validate,
  type Container,
  type K8sObject,
} from '../helpers/kubernetes.js';
import { DASHBOARDS_DIR, PROMETHEUS_DIR } from '../helpers/repo-paths.js';
import { ruleFiles } from '../helpers/rules.js';
import { checkTools, run } from '../helpers/tools.js';

const kubectl = checkKubectl();

/** The namespace docs/kubernetes.md and networkpolicy.yaml say Prometheus runs in. */
const PROMETHEUS_NAMESPACE = 'monitoring';

interface NetworkPolicyPeer {
  namespaceSelector?: { matchLabels?: Record<string, string> };
  podSelector?: { matchLabels?: Record<string, string> };
  ipBlock?: unknown;
}

interface NetworkPolicyRule {
  from?: NetworkPolicyPeer[];
  ports?: { port: string | number }[];
}

interface NetworkPolicySpec {
  podSelector: { matchLabels: Record<string, string> };
  policyTypes: string[];
  ingress: NetworkPolicyRule[];
}

describe('generated manifests (npm run k8s:generate)', () => {
  it('are what the generator writes from prometheus/rules and grafana/dashboards today', () => {
    for (const [name, content] of Object.entries(generatedFiles())) {
      const file = path.join(GENERATED_DIR, name);
      expect(fs.readFileSync(file, 'utf8'), `${file} is stale: npm run k8s:generate`).toBe(content);
    }
  });
});

describe.skipIf(kubectl.skip)('deploy/kubernetes rendered by kubectl kustomize', () => {
  if (kubectl.fail) {
    it('kubectl is installed', () => {
      throw new Error(`${kubectl.message} (required under CI=true)`);
    });
    return;
  }
  const tool = kubectl.path as string;
  const base = render(tool, BASE);
  const overlay = render(tool, OVERLAY);
  const rendered = { base, overlay };

  for (const [name, objects] of Object.entries(rendered)) {
    describe(name, () => {
      it('renders the whole set', () => {
        const kinds = objects.map((o) => o.kind).sort();
        expect(new Set(kinds)).toEqual(
          new Set([
            'ConfigMap',
            'Deployment',
            'HorizontalPodAutoscaler',
            'NetworkPolicy',
            'PodDisruptionBudget',
            'PodMonitor',
            'PrometheusRule',
            'Service',
            ...(name === 'overlay' ? ['Namespace'] : []),
          ]),
        );
      });

      it('every object validates against the schema of its kind', async () => {
        const failures: string[] = [];
        for (const object of objects) {
          try {
            await validate(object);
          } catch (error) {
            failures.push(`${object.kind}/${object.metadata.name}: ${(error as Error).message}`);
          }
        }
        expect(failures).toEqual([]);
      });

      it('no object has a field its type does not know (tsc excess-property check)', async () => {
        const result = await typecheck(objects, `k8s-${name}`);
        expect(result.output).toBe('');
        expect(result.code).toBe(0);
      });
    });
  }

  it('the checks can fail: a wrong type and a misspelt field are both caught', async () => {
    const deployment = structuredClone(one(base, 'Deployment')) as K8sObject & {
      spec: { replicas: unknown; template: { spec: { containers: Container[] } } };
    };
    deployment.spec.replicas = 'two';
    await expect(validate(deployment)).rejects.toThrow(/replicas must be integer/);
    deployment.spec.replicas = 2;
    const container = deployment.spec.template.spec.containers[0] as Container;
    container.securityContext = { readOnlyRootFileSystem: true };
    const result = await typecheck([deployment], 'k8s-broken');
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/'"?readOnlyRootFileSystem"?' does not exist/);
  });

  describe('invariants: manifests against the code and the repo', () => {
    const spec = deploymentSpec(base);
    const pod = spec.template.spec;
    const container = pod.containers[0] as Container;
    const podLabels = spec.template.metadata.labels;
    const selects = (selector: Record<string, string>) =>
      Object.entries(selector).every(([k, v]) => podLabels[k] === v);

    it('the container env is a valid configuration whose ports are the declared container ports', () => {
      const env = Object.fromEntries(
        (container.env ?? []).flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])),
      );
      const config = loadConfig(env);
      expect(config.port).toBe(portNumber(container, 'http'));
      expect(config.metricsPort).toBe(portNumber(container, 'metrics'));
      // Probes and Prometheus come from outside the pod's loopback.
      expect(config.metricsHost).toBe('0.0.0.0');
      // The worker count follows the pod's CPU limit (src/cpu-limit.ts), never a fixed number.
      expect(envValue(container, 'WORKERS')).toBeUndefined();
    });

    it('probes: startup and readiness on /readyz, liveness on /livez, all on the manager port', () => {
      const metricsPort = portNumber(container, 'metrics');
      expect(container.startupProbe?.httpGet?.path).toBe('/readyz');
      expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
      expect(container.livenessProbe?.httpGet?.path).toBe('/livez');
      for (const probe of [
        container.startupProbe,
        container.readinessProbe,
        container.livenessProbe,
      ]) {
        expect(portNumber(container, probe?.httpGet?.port ?? -1)).toBe(metricsPort);
      }
    });

    it('terminationGracePeriodSeconds > preStop pause + SHUTDOWN_TIMEOUT_MS', () => {
      const shutdownSeconds = Number(envValue(container, 'SHUTDOWN_TIMEOUT_MS') ?? 10_000) / 1000;
      const preStop = preStopSeconds(container);
      expect(preStop, 'a preStop pause so endpoints go before the drain').toBeGreaterThanOrEqual(3);
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStop + shutdownSeconds);
    });

    it('securityContext: non-root, read-only root filesystem with /tmp an emptyDir, no capabilities, no escalation', () => {
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      expect(container.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
      });
      const tmp = container.volumeMounts?.find((m) => m.mountPath === os.tmpdir());
      expect(tmp, `${os.tmpdir()} mounted (the manager writes under os.tmpdir())`).toBeDefined();
      expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
    });

    it('availability: ≥ 2 replicas, rolling with no unavailable pod, spread, PDB, HPA, resources', () => {
      expect(spec.replicas).toBeGreaterThanOrEqual(2);
      const deployment = one(base, 'Deployment') as K8sObject & {
        spec: { strategy: { rollingUpdate: { maxUnavailable: number } } };
      };
      expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
      expect(pod.topologySpreadConstraints?.map((c) => c.topologyKey)).toEqual(
        expect.arrayContaining(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']),
      );
      const pdb = one(base, 'PodDisruptionBudget') as K8sObject & {
        spec: { selector: { matchLabels: Record<string, string> } };
      };
      expect(selects(pdb.spec.selector.matchLabels)).toBe(true);
      const hpa = one(base, 'HorizontalPodAutoscaler') as K8sObject & {
        spec: { minReplicas: number; scaleTargetRef: { kind: string; name: string } };
      };
      expect(hpa.spec.scaleTargetRef).toMatchObject({
        kind: 'Deployment',
        name: one(base, 'Deployment').metadata.name,
      });
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      expect(container.resources?.requests?.cpu).toBeDefined();
      expect(container.resources?.limits?.cpu).toBeDefined();
      expect(container.resources?.limits?.memory).toBeDefined();
    });

    it('the Service sends API traffic to the pods; the PodMonitor scrapes the manager port as job "cluster"', () => {
      const service = one(base, 'Service') as K8sObject & {
        spec: { selector: Record<string, string>; ports: { targetPort: string }[] };
      };
      expect(selects(service.spec.selector)).toBe(true);
      expect(service.spec.ports.map((p) => portNumber(container, p.targetPort))).toEqual([
        portNumber(container, 'http'),
      ]);
      const monitor = one(base, 'PodMonitor') as K8sObject & {
        spec: {
          selector: { matchLabels: Record<string, string> };
          podMetricsEndpoints: {
            port: string;
            path: string;
            relabelings: Record<string, string>[];
          }[];
        };
      };
      expect(selects(monitor.spec.selector.matchLabels)).toBe(true);
      const endpoint = monitor.spec.podMetricsEndpoints[0];
      expect(portNumber(container, endpoint?.port ?? '')).toBe(portNumber(container, 'metrics'));
      expect(endpoint?.path).toBe('/metrics');
      // The rules and dashboards select job="cluster", the job name of prometheus.yml.
      expect(endpoint?.relabelings).toContainEqual({
        action: 'replace',
        targetLabel: 'job',
        replacement: 'cluster',
      });
      expect(monitor.metadata.labels).toMatchObject(RELEASE_LABEL);
    });

    it('the NetworkPolicy opens the API port to all and the manager port only to Prometheus pods', () => {
      const policy = one(base, 'NetworkPolicy') as K8sObject & { spec: NetworkPolicySpec };
      expect(selects(policy.spec.podSelector.matchLabels)).toBe(true);
      expect(policy.spec.policyTypes).toContain('Ingress');
      const rules = policy.spec.ingress;
      // A rule without ports would open every port to its peers.
      for (const rule of rules) expect(rule.ports?.length).toBeGreaterThan(0);
      const portsOf = (rule: NetworkPolicyRule) =>
        (rule.ports ?? []).map((p) => portNumber(container, p.port));
      const http = portNumber(container, 'http');
      const metrics = portNumber(container, 'metrics');
      expect(rules.some((r) => r.from === undefined && portsOf(r).includes(http))).toBe(true);
      const toMetrics = rules.filter((r) => portsOf(r).includes(metrics));
      expect(toMetrics.length).toBeGreaterThan(0);
      for (const rule of toMetrics) {
        // Never from anywhere: each peer is Prometheus pods (podSelector) of one namespace.
        expect(rule.from?.length).toBeGreaterThan(0);
        for (const peer of rule.from ?? []) {
          expect(peer.ipBlock).toBeUndefined();
          expect(peer.namespaceSelector?.matchLabels).toEqual({
            'kubernetes.io/metadata.name': PROMETHEUS_NAMESPACE,
          });
          expect(peer.podSelector?.matchLabels).toEqual({ 'app.kubernetes.io/name': 'prometheus' });
        }
      }
      const overlayPolicy = one(overlay, 'NetworkPolicy') as K8sObject & { spec: unknown };
      expect(overlayPolicy.spec).toEqual(policy.spec);
    });

    it('the PrometheusRule holds exactly the groups of prometheus/rules/*.yml', () => {
      const rule = one(base, 'PrometheusRule') as K8sObject & { spec: { groups: unknown[] } };
      const groups = ruleFiles().flatMap(
        (file) => (YAML.parse(fs.readFileSync(file, 'utf8')) as { groups: unknown[] }).groups,
      );
      expect(groups.length).toBeGreaterThan(0);
      expect(rule.spec.groups).toEqual(groups);
      expect(rule.metadata.labels).toMatchObject(RELEASE_LABEL);
    });

    it('every dashboard is a ConfigMap labelled for the Grafana sidecar, byte for byte its file', () => {
      const files = fs
        .readdirSync(DASHBOARDS_DIR)
        .filter((f) => f.endsWith('.json'))
        .sort();
      const maps = byKind(base, 'ConfigMap') as (K8sObject & { data: Record<string, string> })[];
      expect(maps.map((m) => m.metadata.name).sort()).toEqual(
        files.map(dashboardConfigMapName).sort(),
      );
      for (const map of maps) {
        expect(map.metadata.labels).toMatchObject(DASHBOARD_LABEL);
        const [file, ...more] = Object.keys(map.data);
        expect(more).toEqual([]);
        expect(map.data[file as string]).toBe(
          fs.readFileSync(path.join(DASHBOARDS_DIR, file as string), 'utf8'),
        );
      }
    });

    it('the overlay changes namespace, image, size and release label, and keeps every invariant object', () => {
      for (const object of overlay.filter((o) => o.kind !== 'Namespace')) {
        expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe(
          'koa-cluster-service',
        );
      }
      const overlayContainer = deploymentSpec(overlay).template.spec.containers[0] as Container;
      expect(overlayContainer.image).toMatch(/^registry\.example\.com\/koa-cluster-service:/);
      expect(overlayContainer.securityContext).toEqual(container.securityContext);
      expect(overlayContainer.livenessProbe).toEqual(container.livenessProbe);
      expect(deploymentSpec(overlay).template.spec.terminationGracePeriodSeconds).toBe(
        pod.terminationGracePeriodSeconds,
      );
      expect(one(overlay, 'PodMonitor').metadata.labels?.release).toBe('monitoring');
      expect(one(overlay, 'PrometheusRule').metadata.labels?.release).toBe('monitoring');
    });
  });
});

describe('prometheus/kubernetes.yml: plain Prometheus with kubernetes_sd_configs (role pod)', () => {
  const file = path.join(PROMETHEUS_DIR, 'kubernetes.yml');
  const config = YAML.parse(fs.readFileSync(file, 'utf8')) as {
    scrape_configs: {
      job_name: string;
      kubernetes_sd_configs?: { role: string }[];
      relabel_configs?: {
        source_labels?: string[];
        regex?: string;
        action?: string;
        target_label?: string;
      }[];
    }[];
  };
  const job = config.scrape_configs.find((j) => j.job_name === 'cluster');
  const promtool = checkTools(['promtool'], 'Checking prometheus/kubernetes.yml');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kcs-k8s-prometheus-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('job "cluster" discovers pods and relabels to namespace and pod', () => {
    expect(job?.kubernetes_sd_configs?.map((sd) => sd.role)).toEqual(['pod']);
    const relabel = job?.relabel_configs ?? [];
    expect(relabel).toContainEqual({
      source_labels: ['__meta_kubernetes_namespace'],
      target_label: 'namespace',
    });
    expect(relabel).toContainEqual({
      source_labels: ['__meta_kubernetes_pod_name'],
      target_label: 'pod',
    });
  });

  it.skipIf(kubectl.skip || kubectl.fail)(
    "keeps exactly the Deployment's pods and its manager port",
    () => {
      const spec = deploymentSpec(render(kubectl.path as string, BASE));
      const keep = (source: string) =>
        job?.relabel_configs?.find((r) => r.action === 'keep' && r.source_labels?.[0] === source)
          ?.regex;
      const name = spec.template.metadata.labels['app.kubernetes.io/name'];
      expect(keep('__meta_kubernetes_pod_label_app_kubernetes_io_name')).toBe(name);
      const container = spec.template.spec.containers[0] as Container;
      expect(container.ports?.map((p) => p.name)).toContain(
        keep('__meta_kubernetes_pod_container_port_name'),
      );
      expect(keep('__meta_kubernetes_pod_container_port_name')).toBe('metrics');
    },
  );

  if (promtool.fail) {
    it('promtool is installed', () => {
      throw new Error(promtool.message);
    });
  }

  it.skipIf(promtool.skip || promtool.fail)('promtool check config', () => {
    const tool = promtool.paths.promtool as string;
    const result = run(tool, ['check', 'config', file]);
    // Debian builds Prometheus without Kubernetes discovery: its promtool rejects the
    // kubernetes_sd_configs key itself. Then the rest of the file (relabelling, rule files) is
    // checked with that one key swapped for static targets, and the limitation is printed; an
    // upstream promtool (PROMTOOL_BIN=...) checks the file as it is.
    const unsupported = /field kubernetes_sd_configs not found/.test(result.stdout + result.stderr);
    if (!unsupported) {
      expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
      return;
    }
    console.warn(
      `\n!! ${tool} was built without Kubernetes service discovery (Debian's build): ` +
        'prometheus/kubernetes.yml is checked with kubernetes_sd_configs swapped for ' +
        'static_configs. Set PROMTOOL_BIN to an upstream promtool to check it as it is.\n',
    );
    const swapped = structuredClone(YAML.parse(fs.readFileSync(file, 'utf8'))) as {
      rule_files: string[];
      scrape_configs: Record<string, unknown>[];
    };
    for (const scrape of swapped.scrape_configs) {
      if (!scrape.kubernetes_sd_configs) continue;
      delete scrape.kubernetes_sd_configs;
      scrape.static_configs = [{ targets: ['127.0.0.1:9464'] }];
    }
    swapped.rule_files = swapped.rule_files.map((p) => path.resolve(PROMETHEUS_DIR, p));
    const copy = path.join(tmp, 'kubernetes-static.yml');
    fs.writeFileSync(copy, YAML.stringify(swapped));
    const checked = run(tool, ['check', 'config', copy]);
    expect(checked.status, `${checked.stdout}\n${checked.stderr}`).toBe(0);
    expect(checked.stdout + checked.stderr).toMatch(/SUCCESS: \d+ rule files found/);
  });
});
