// The import graph in docs/architecture.md is what scripts/docs-graph.ts draws from src/ now, so
// it cannot drift from the code.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ARCHITECTURE_MD,
  folderOf,
  graphBlock,
  importGraph,
  label,
} from '../../scripts/docs-graph.js';
import { ROOT } from '../helpers/repo-paths.js';

describe('import graph in docs/architecture.md (npm run docs:graph)', () => {
  it('is the graph drawn from src/ now', async () => {
    const committed = graphBlock(fs.readFileSync(ARCHITECTURE_MD, 'utf8'));
    expect(committed, 'markers missing: npm run docs:graph').toBeDefined();
    expect(committed, 'out of date: npm run docs:graph').toBe(await importGraph());
  });

  it('has a node for every folder of src/', async () => {
    const graph = await importGraph();
    const files = fs.readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' });
    const nodes = new Set(files.filter((f) => f.endsWith('.ts')).map((f) => folderOf(`src/${f}`)));
    expect(nodes.size).toBeGreaterThan(10);
    for (const node of nodes) expect(graph).toContain(`["${label(node)}"]`);
  });
});
