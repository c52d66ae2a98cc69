// The Prometheus rule files the repo ships (prometheus/rules/*.yml) and every expression in them.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { RULES_DIR } from './repo-paths.js';

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
