// The repository root, where the observability sources the tests read or run live, and scratch
// directories inside the repository.
import { mkdirSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PROMETHEUS_DIR = path.join(ROOT, 'prometheus');
export const PROMETHEUS_CONFIG = path.join(PROMETHEUS_DIR, 'prometheus.yml');
export const RULES_DIR = path.join(PROMETHEUS_DIR, 'rules');
export const RULE_TESTS_DIR = path.join(PROMETHEUS_DIR, 'tests');
export const DASHBOARDS_DIR = path.join(ROOT, 'grafana', 'dashboards');
export const GRAFANA_PROVISIONING_DIR = path.join(ROOT, 'grafana', 'provisioning');

/**
 * A fresh directory under the repository's gitignored .tmp/: files written there import from
 * node_modules (type packages, libraries) as the repository's own files do. The caller removes it.
 */
export function repoScratchDir(prefix: string): string {
  mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
  return mkdtempSync(path.join(ROOT, '.tmp', `${prefix}-`));
}
