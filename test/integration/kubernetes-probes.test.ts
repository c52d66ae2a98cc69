// The Deployment's probes asked of the real manager: the compiled cluster started with the
// container env of deploy/kubernetes/base (rendered by kubectl kustomize), on loopback ports.
// The kubelet would GET the same paths on the metrics port; here the test does.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { MAX_WORKERS } from '../../src/config.js';
import { defaultWorkerCount } from '../../src/cpu-limit.js';
import { startCluster, type ClusterHandle } from '../helpers/cluster.js';
import {
  BASE,
  checkKubectl,
  deploymentSpec,
  preStopSeconds,
  render,
  type Container,
  type Probe,
} from '../helpers/kubernetes.js';
import { freePort } from '../../scripts/lib/free-port.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const kubectl = checkKubectl();

interface ProbeAnswer {
  status: number;
  body: { status?: string; reason?: string };
}

async function ask(cluster: ClusterHandle, path: string, timeoutSeconds = 1): Promise<ProbeAnswer> {
  const response = await fetch(`${cluster.managerUrl}${path}`, {
    signal: AbortSignal.timeout(timeoutSeconds * 1000),
  });
  return { status: response.status, body: (await response.json()) as ProbeAnswer['body'] };
}

describe.skipIf(kubectl.skip)('Kubernetes probes on the real manager', () => {
  if (kubectl.fail) {
    it('kubectl is installed', () => {
      throw new Error(`${kubectl.message} (required under CI=true)`);
    });
    return;
  }
  const spec = deploymentSpec(render(kubectl.path as string, BASE));
  const container = spec.template.spec.containers[0] as Container;
  const probes = {
    startup: container.startupProbe as Probe,
    readiness: container.readinessProbe as Probe,
    liveness: container.livenessProbe as Probe,
  };
  /** The container's env, with the servers on loopback (tests never listen beyond it). */
  const podEnv = (): Record<string, string> => ({
    ...Object.fromEntries(
      (container.env ?? []).flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])),
    ),
    HOST: '127.0.0.1',
    METRICS_HOST: '127.0.0.1',
  });

  it('every probe answers 200 on a ready pod; shutdown turns readiness off while liveness stays on', async () => {
    const env = podEnv();
    const expected = defaultWorkerCount(MAX_WORKERS);
    const cluster = await startCluster({
      env: { ...env, PORT: String(await freePort()), METRICS_PORT: String(await freePort()) },
      // The manifest leaves WORKERS unset: the default follows the CPU limit of this machine.
      unset: ['WORKERS'],
      waitForWorkers: expected.workers,
    });
    try {
      for (const [name, probe] of Object.entries(probes)) {
        const answer = await ask(cluster, probe.httpGet?.path ?? '?');
        expect([name, answer.status]).toEqual([name, 200]);
      }
      // The manager says how many workers and why (`workersFrom`), on this Node version.
      const started = cluster
        .logs()
        .split('\n')
        .map((line) => {
          try {
            return JSON.parse(line) as { msg?: string; workers?: number; workersFrom?: string };
          } catch {
            return {};
          }
        })
        .find((line) => line.msg === 'manager started');
      expect(started).toMatchObject({ workers: expected.workers, workersFrom: expected.source });
      // Every slot reports its build, and the workers run the Node that runs this test (.ci/run
      // repeats this project on Node 24: the children must not fall back to another node).
      const metrics = await (await fetch(`${cluster.managerUrl}/metrics`)).text();
      const builds = metrics.split('\n').filter((line) => line.startsWith('app_build_info{'));
      expect(builds).toHaveLength(expected.workers);
      for (const line of builds) {
        expect(line).toContain(`node_version="${process.version}"`);
        expect(line).toMatch(/ 1$/);
      }

      // A request in flight keeps the drain going while the probes are asked again.
      const slow = fetch(`${cluster.apiUrl}/api/delay?ms=3000`);
      await waitUntil(
        async () => (await cluster.status()).workers.some((w) => w.requestsInFlight > 0),
        'the slow request to reach a worker',
        10_000,
      );
      const stopAt = Date.now();
      cluster.proc.kill('SIGTERM');
      const draining = await waitUntil(
        async () => {
          const answer = await ask(cluster, probes.readiness.httpGet?.path ?? '?');
          return answer.status === 503 ? answer : undefined;
        },
        '/readyz to answer 503 after SIGTERM',
        5_000,
      );
      expect(draining.body).toMatchObject({ status: 'unavailable', reason: 'shutting_down' });
      expect((await ask(cluster, probes.liveness.httpGet?.path ?? '?')).status).toBe(200);
      expect((await slow).status).toBe(200);
      expect(await cluster.exited).toBe(0);
      // The whole drain fits in what the kubelet allows after the preStop pause.
      const grace = spec.template.spec.terminationGracePeriodSeconds ?? 30;
      const seconds = (Date.now() - stopAt) / 1000;
      console.log(`[kubernetes] drain with one 3 s request in flight: ${seconds.toFixed(1)} s`);
      expect(seconds).toBeLessThan(grace - preStopSeconds(container));
    } finally {
      await cluster.stop();
    }
  });

  it('with no worker able to boot: /readyz 503 "no_ready_worker", /livez still 200', async () => {
    const port = await freePort();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    const cluster = await startCluster({
      env: {
        ...podEnv(),
        WORKERS: '1',
        PORT: String(port),
        METRICS_PORT: String(await freePort()),
        // Slow back-off: the manager keeps trying (not ready) for several seconds.
        RESTART_BACKOFF_BASE_MS: '1000',
      },
      waitForWorkers: 0,
    });
    try {
      const notReady = await waitUntil(
        () => ask(cluster, probes.readiness.httpGet?.path ?? '?'),
        'the manager endpoint to answer',
        10_000,
      );
      expect(notReady.status).toBe(503);
      expect(notReady.body).toMatchObject({ status: 'unavailable', reason: 'no_ready_worker' });
      expect((await ask(cluster, probes.liveness.httpGet?.path ?? '?')).status).toBe(200);
    } finally {
      await cluster.stop();
      blocker.close();
    }
  });
});
