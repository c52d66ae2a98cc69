// deploy/kubernetes/ as Kubernetes would receive it: rendered by `kubectl kustomize`, each object
// checked against its schema with kubernetes-models (core and apps APIs) and
// @kubernetes-models/prometheus-operator (PodMonitor, PrometheusRule). No cluster runs here.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { findTool } from './require-tool.js';
import { repoScratchDir, ROOT } from './repo-paths.js';
import { CHECK_COMPILER_OPTIONS, runTsc, type TscRun } from './tsc.js';

export const KUBERNETES_DIR = path.join(ROOT, 'deploy', 'kubernetes');
export const BASE = path.join(KUBERNETES_DIR, 'base');
export const OVERLAY = path.join(KUBERNETES_DIR, 'overlays', 'example');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

export interface Kubectl {
  path?: string;
  /** Missing outside CI: skip (a loud warning was printed). */
  skip: boolean;
  /** Missing under CI=true: the suite must fail with `message`. */
  fail: boolean;
  message: string;
}

export function checkKubectl(): Kubectl {
  const found = findTool('kubectl');
  if (found) return { path: found, skip: false, fail: false, message: '' };
  const message =
    'kubectl is not installed: it renders deploy/kubernetes (`kubectl kustomize`). ' +
    'Install it from https://kubernetes.io/docs/tasks/tools/ or your distribution.';
  const ci = process.env.CI === 'true';
  if (!ci) console.warn(`\n${'!'.repeat(100)}\n!! SKIPPED: ${message}\n${'!'.repeat(100)}\n`);
  return { skip: !ci, fail: ci, message };
}

/** `kubectl kustomize <dir>`, parsed: every object the directory would apply. */
export function render(kubectl: string, dir: string): K8sObject[] {
  const result = spawnSync(kubectl, ['kustomize', dir], {
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir}: ${result.stderr}`);
  return YAML.parseAllDocuments(result.stdout)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

/** The module of kubernetes-models (or its Prometheus Operator package) for an apiVersion. */
export function modelModule(apiVersion: string): string {
  return apiVersion.startsWith('monitoring.coreos.com/')
    ? `@kubernetes-models/prometheus-operator/${apiVersion}`
    : `kubernetes-models/${apiVersion}`;
}

/**
 * Validates one object against the JSON schema of its kind (types, required fields, enums,
 * patterns). Throws when the kind is unknown to the libraries or the object is invalid.
 */
export async function validate(object: K8sObject): Promise<void> {
  const module = (await import(modelModule(object.apiVersion))) as Record<string, unknown>;
  const Model = module[object.kind] as (new (data: unknown) => { validate(): void }) | undefined;
  if (typeof Model !== 'function') {
    throw new Error(
      `${object.apiVersion} ${object.kind}: no schema in ${modelModule(object.apiVersion)}`,
    );
  }
  new Model(object).validate();
}

/**
 * The JSON schemas allow unknown fields, so a misspelt field (`readOnlyRootFileSystem`) would
 * pass them and be dropped by the API server. TypeScript's excess-property check on the same
 * libraries' interfaces catches it: each object becomes `const x: IKind = <object>;` and tsc
 * reports every unknown field. Returns tsc's exit code and output.
 */
export async function typecheck(objects: K8sObject[], scratchName: string): Promise<TscRun> {
  const dir = repoScratchDir(scratchName);
  const lines = objects.map((object, i) => {
    const module = `${modelModule(object.apiVersion)}/${object.kind}`;
    return (
      `import type { I${object.kind} as T${i} } from '${module}';\n` +
      `export const o${i}: T${i} = ${JSON.stringify(object, null, 2)};\n`
    );
  });
  writeFileSync(path.join(dir, 'objects.ts'), lines.join('\n'));
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: CHECK_COMPILER_OPTIONS, files: ['objects.ts'] }),
  );
  try {
    return await runTsc(path.join(dir, 'tsconfig.json'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const byKind = (objects: K8sObject[], kind: string) =>
  objects.filter((o) => o.kind === kind);

export function one(objects: K8sObject[], kind: string): K8sObject {
  const found = byKind(objects, kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0] as K8sObject;
}

// ------------------------------------------------------------------- the Deployment's shape

export interface Probe {
  httpGet?: { path: string; port: string | number };
  periodSeconds?: number;
  failureThreshold?: number;
}

export interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[] } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string }[];
}

export interface PodSpec {
  terminationGracePeriodSeconds?: number;
  securityContext?: Record<string, unknown>;
  topologySpreadConstraints?: { topologyKey: string }[];
  containers: Container[];
  volumes?: { name: string; emptyDir?: Record<string, unknown> }[];
}

export interface DeploymentShape {
  replicas?: number;
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
}

export const deploymentSpec = (objects: K8sObject[]) =>
  one(objects, 'Deployment').spec as DeploymentShape;

/** A named or numeric probe port resolved to the container's port number. */
export function portNumber(container: Container, port: string | number): number {
  if (typeof port === 'number') return port;
  const found = container.ports?.find((p) => p.name === port)?.containerPort;
  if (found === undefined) throw new Error(`container ${container.name} has no port ${port}`);
  return found;
}

export const envValue = (container: Container, name: string) =>
  container.env?.find((e) => e.name === name)?.value;

/** Seconds the preStop hook holds the pod before SIGTERM: `sleep N` (exec) or the sleep action. */
export function preStopSeconds(container: Container): number {
  const preStop = container.lifecycle?.preStop;
  if (preStop?.sleep) return preStop.sleep.seconds;
  const command = preStop?.exec?.command ?? [];
  if (command[0] === 'sleep' && command.length === 2) return Number(command[1]);
  return 0;
}
