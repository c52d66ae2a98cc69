// cluster_manager_stalls_total: how often the manager's own event loop stood still long enough to
// matter to hang detection (see Supervisor.check()). A file of its own so the manager's other
// metrics can change shape independently; it registers in the same registry.
import { Counter, type Registry } from 'prom-client';

export function createStallCounter(registry: Registry): () => void {
  const stalls = new Counter({
    name: 'cluster_manager_stalls_total',
    help: 'Times the manager itself stood still (stopped, paused, starved) for over a second; that time is not counted as worker silence.',
    registers: [registry],
  });
  return () => stalls.inc();
}
