import type { BuildOptions } from 'esbuild';

export declare const WORKER_BUNDLE_OPTIONS: BuildOptions;
