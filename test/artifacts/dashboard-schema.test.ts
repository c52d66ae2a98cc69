// No Grafana runs here, so the dashboards are checked against Grafana's own published schema:
// each grafana/dashboards/*.json becomes `export const dashboard: DashboardJson = <the JSON>;`
// and tsc type-checks it against @grafana/schema's Dashboard type (excess-property checks catch
// fields the schema does not know, like a legacy annotation `expr` or a variable `definition`).
// A deliberately broken dashboard proves the check can fail.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDashboards } from '../helpers/dashboards.js';
import { DASHBOARDS_DIR, repoScratchDir } from '../helpers/repo-paths.js';
import { CHECK_COMPILER_OPTIONS, runTsc, type TscRun } from '../helpers/tsc.js';

/**
 * Dashboard JSON as @grafana/schema types it. Two adaptations, both about JSON rather than the
 * schema: enums become their string values (JSON cannot name a TypeScript enum member), and
 * Prometheus annotations get the Prometheus query as their target plus the four display options
 * Grafana's Prometheus datasource reads from the annotation itself (titleFormat, textFormat,
 * tagKeys, useValueForTime: public/app/plugins/datasource/prometheus annotations support).
 */
const TYPES = `import type { AnnotationQuery, Dashboard, DataQuery } from '@grafana/schema';
type Json<T> = T extends string
  ? \`\${T}\`
  : T extends readonly (infer U)[]
    ? Json<U>[]
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;
interface PrometheusQuery extends DataQuery {
  expr: string;
  interval?: string;
}
type PrometheusAnnotation = AnnotationQuery<PrometheusQuery> & {
  titleFormat?: string;
  textFormat?: string;
  tagKeys?: string;
  useValueForTime?: boolean;
};
export type DashboardJson = Json<
  Omit<Dashboard, 'annotations'> & { annotations?: { list?: PrometheusAnnotation[] } }
>;
`;

const TSCONFIG = { compilerOptions: CHECK_COMPILER_OPTIONS, include: ['*.ts'] };

// Inside the repository so that the import finds node_modules/@grafana/schema.
const scratch = repoScratchDir('dashboard-schema');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function writeCheck(dir: string, name: string, json: string): void {
  writeFileSync(
    path.join(dir, `${name}.ts`),
    `import type { DashboardJson } from './dashboard-json.js';\nexport const dashboard: DashboardJson = ${json};\n`,
  );
}

async function tsc(dir: string): Promise<TscRun> {
  writeFileSync(path.join(dir, 'dashboard-json.ts'), TYPES);
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  return runTsc(path.join(dir, 'tsconfig.json'));
}

describe("dashboards type-check against @grafana/schema's Dashboard", () => {
  it('every grafana/dashboards/*.json, silent', async () => {
    const dir = path.join(scratch, 'real');
    mkdirSync(dir);
    const dashboards = loadDashboards();
    expect(dashboards.length).toBeGreaterThan(0);
    for (const { file } of dashboards) {
      writeCheck(dir, path.basename(file, '.json'), readFileSync(file, 'utf8'));
    }
    const run = await tsc(dir);
    expect(run.output).toBe('');
    expect(run.code).toBe(0);
  });

  it('the same check flags a legacy annotation expr, a variable definition and a link without tooltip', async () => {
    const dir = path.join(scratch, 'broken');
    mkdirSync(dir);
    const broken = JSON.parse(readFileSync(path.join(DASHBOARDS_DIR, 'cluster.json'), 'utf8')) as {
      annotations: { list: Record<string, unknown>[] };
      templating: { list: Record<string, unknown>[] };
      links: Record<string, unknown>[];
    };
    broken.annotations.list.push({
      name: 'legacy',
      datasource: { type: 'prometheus', uid: 'x' },
      enable: true,
      iconColor: 'red',
      expr: 'up',
    });
    (broken.templating.list[1] as Record<string, unknown>).definition = 'label_values(up, job)';
    delete broken.links[0]?.tooltip;
    writeCheck(dir, 'broken', JSON.stringify(broken, null, 2));
    const run = await tsc(dir);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/'"?expr"?' does not exist/);
    expect(run.output).toMatch(/'"?definition"?' does not exist/);
    expect(run.output).toMatch(/Property 'tooltip' is missing/);
  });
});
