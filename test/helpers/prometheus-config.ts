// The repo's own prometheus/prometheus.yml made runnable next to a test cluster (not a second
// copy kept by hand), so a test's Prometheus sees the labels the real stack produces.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { PROMETHEUS_CONFIG } from './repo-paths.js';

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
