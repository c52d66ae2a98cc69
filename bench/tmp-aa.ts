import { runLoad } from './lib/load.js';
import { cpuSecondsOf, installCleanupHandlers, pinSelf } from './lib/procs.js';
import { startServer, stopAll, type Server } from './lib/service.js';
installCleanupHandlers();
const PATH = '/api/hello?name=bench';
const variants = (process.env.V ?? 'noop,noop,real').split(',');
const servers: Server[] = [];
for (const v of variants) servers.push(await startServer(v, 'bench/servers/app-server.ts', { BENCH_METRICS: v }, PATH, '1'));
pinSelf('0');
for (const s of servers) await runLoad(`${s.url}${PATH}`, { connections: 16, durationS: 3 });
for (let round = 0; round < 6; round++) {
  const cpu0 = servers.map((s) => cpuSecondsOf(s.child.pid));
  const res = await Promise.all(servers.map((s) => runLoad(`${s.url}${PATH}`, { connections: 16, durationS: 2.5 })));
  const cpu = servers.map((s, i) => cpuSecondsOf(s.child.pid) - (cpu0[i] as number));
  console.log(variants.map((v, i) => `${v} ${Math.round(res[i]!.rps)} ${(cpu[i]! * 1e6 / res[i]!.ok).toFixed(1)}us`).join(' | '));
}
await stopAll(servers);
process.exit(0);
