// app_build_info{version, node_version, slot} 1: which build serves, per slot. During a rolling
// deploy (SIGHUP reload after new code is on disk) old and new versions serve side by side, one
// slot at a time; this gauge is how a dashboard shows the changeover.
import { Gauge, type Registry } from 'prom-client';

export const BUILD_INFO_METRIC = 'app_build_info';

export function registerBuildInfo(registry: Registry, build: { version: string; slot: number }) {
  const gauge = new Gauge({
    name: BUILD_INFO_METRIC,
    help: 'Always 1: the version and Node.js runtime the worker in this slot runs',
    labelNames: ['version', 'node_version', 'slot'] as const,
    registers: [registry],
  });
  gauge.set({ version: build.version, node_version: process.version, slot: String(build.slot) }, 1);
}
