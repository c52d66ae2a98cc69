// Draws the folder-level import graph of src/ into docs/architecture.md, between the two marker
// comments, from dependency-cruiser's reading of the code (the same cruise `npm run lint` checks).
// A solid arrow carries at least one runtime import; a dotted one only `import type`.
//
//   npm run docs:graph              rewrite the graph in docs/architecture.md
//   npm run docs:graph -- --check   exit 1 if it differs from what would be drawn
// test/artifacts/architecture-graph.test.ts fails when the committed graph drifts.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ARCHITECTURE_MD = path.join(ROOT, 'docs', 'architecture.md');
export const BEGIN = '<!-- import-graph:begin (npm run docs:graph writes this block) -->';
export const END = '<!-- import-graph:end -->';

/**
 * The node a file belongs to: its folder (src/manager/ has one per duty folder, and one for its
 * entries), the two entry files as themselves, and the shared files at src/'s root as one.
 */
export function folderOf(file: string): string {
  const inManager = /^src\/manager\/([^/]+\/)?/.exec(file);
  if (inManager) return inManager[0];
  const inFolder = /^src\/[^/]+\//.exec(file);
  if (inFolder) return inFolder[0];
  return file === 'src/main.ts' || file === 'src/worker.ts' ? file : 'src/*.ts';
}

const LABELS: Record<string, string> = {
  'src/manager/': 'manager/*.ts (entries)',
  'src/*.ts': '*.ts (shared files)',
};
export const label = (node: string) => LABELS[node] ?? node.replace(/^src\//, '');
const id = (node: string) => node.replace(/[^a-z0-9]+/gi, '_').replace(/_$/, '');

/** The graph as a Mermaid block: nodes and arrows sorted, so equal code draws equal text. */
export async function importGraph(): Promise<string> {
  const { output } = await cruise(
    ['src'],
    { includeOnly: '^src/', tsPreCompilationDeps: true, outputType: 'json' },
    {},
    { tsConfig: extractTSConfig(path.join(ROOT, 'tsconfig.json')) },
  );
  // from -> to -> whether every import behind the arrow is type-only
  const arrows = new Map<string, Map<string, boolean>>();
  const nodes = new Set<string>();
  const { modules } = JSON.parse(output as string) as ICruiseResult;
  for (const module of modules) {
    const from = folderOf(module.source);
    nodes.add(from);
    for (const dependency of module.dependencies) {
      const to = folderOf(dependency.resolved);
      if (to === from) continue;
      const typeOnly = dependency.dependencyTypes.includes('type-only');
      const targets = arrows.get(from) ?? new Map<string, boolean>();
      targets.set(to, (targets.get(to) ?? true) && typeOnly);
      arrows.set(from, targets);
    }
  }
  const lines = ['```mermaid', 'flowchart LR'];
  for (const node of [...nodes].sort()) lines.push(`  ${id(node)}["${label(node)}"]`);
  for (const from of [...arrows.keys()].sort()) {
    for (const [to, typeOnly] of [...arrows.get(from)!].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`  ${id(from)} ${typeOnly ? '-.->' : '-->'} ${id(to)}`);
    }
  }
  lines.push('```');
  return lines.join('\n');
}

/** The block between the markers of `doc`, or undefined when a marker is missing. */
export function graphBlock(doc: string): string | undefined {
  const begin = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (begin < 0 || end < begin) return undefined;
  return doc.slice(begin + BEGIN.length, end).trim();
}

async function main(argv: string[]): Promise<number> {
  const doc = fs.readFileSync(ARCHITECTURE_MD, 'utf8');
  const current = graphBlock(doc);
  if (current === undefined) {
    process.stderr.write(`docs/architecture.md lacks the markers ${BEGIN} ... ${END}\n`);
    return 1;
  }
  const graph = await importGraph();
  if (current === graph) return 0;
  if (argv.includes('--check')) {
    process.stderr.write(
      'the import graph in docs/architecture.md is out of date: npm run docs:graph\n',
    );
    return 1;
  }
  const begin = doc.indexOf(BEGIN) + BEGIN.length;
  fs.writeFileSync(
    ARCHITECTURE_MD,
    `${doc.slice(0, begin)}\n\n${graph}\n\n${doc.slice(doc.indexOf(END))}`,
  );
  process.stdout.write('wrote the import graph in docs/architecture.md\n');
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
