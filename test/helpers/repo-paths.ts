// The repository root, and where the observability sources the tests read or run live.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PROMETHEUS_DIR = path.join(ROOT, 'prometheus');
export const PROMETHEUS_CONFIG = path.join(PROMETHEUS_DIR, 'prometheus.yml');
export const RULES_DIR = path.join(PROMETHEUS_DIR, 'rules');
export const RULE_TESTS_DIR = path.join(PROMETHEUS_DIR, 'tests');
export const DASHBOARDS_DIR = path.join(ROOT, 'grafana', 'dashboards');
export const GRAFANA_PROVISIONING_DIR = path.join(ROOT, 'grafana', 'provisioning');
