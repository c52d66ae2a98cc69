// Row 3b runs bench/servers/split-server.ts as one esbuild bundle, built the way
// scripts/bundle-worker.mjs builds the worker that production runs (dist/worker.js): the same
// code for our layers and for Koa's. Under tsx our src/ files would be compiled with keepNames,
// a __name() call per closure created per request that neither production nor node_modules pays.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { WORKER_BUNDLE_OPTIONS } from '../../scripts/bundle-options.mjs';

export interface SplitBundle {
  /** The bundle (.mjs: tsx, which the bench's server launcher preloads, leaves it untouched). */
  path: string;
  remove(): void;
}

export async function bundleSplitServer(): Promise<SplitBundle> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-split-'));
  const file = path.join(dir, 'split-server.mjs');
  await build({
    ...WORKER_BUNDLE_OPTIONS,
    entryPoints: ['bench/servers/split-server.ts'],
    outfile: file,
    legalComments: 'none',
  });
  return { path: file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
