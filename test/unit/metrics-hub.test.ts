// The main thread's hold on its metrics thread: a thread that crashes, or wedges and stops
// answering, is replaced, and scrapes are answered again. A stand-in thread
// (test/fixtures/fake-metrics-thread.mjs) crashes or spins on request.
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { MetricsHub, MetricsUnavailableError } from '../../src/manager/metrics-hub.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const FAKE_THREAD = new URL('../fixtures/fake-metrics-thread.mjs', import.meta.url);
const CRASH = 1;
const WEDGE = 2;

let hub: MetricsHub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

function scrape(timeoutMs: number) {
  return hub!.scrape({
    contentType: Registry.PROMETHEUS_CONTENT_TYPE,
    timeoutMs,
    workers: [],
    readManager: async () => [],
  });
}

/** Resolves once a normal scrape is answered (the thread may be restarting meanwhile). */
function answeredAgain(): Promise<string> {
  return waitUntil(
    async () => Buffer.from((await scrape(100)).body).toString(),
    'a scrape answered by a new thread',
    5_000,
    20,
  );
}

async function startHub(): Promise<MetricsHub> {
  hub = new MetricsHub(createLogger('silent', {}), 'silent', 0, {
    threadEntry: FAKE_THREAD,
    renderGraceMs: 150,
    restartDelayMs: 20,
  });
  await hub.ready();
  return hub;
}

describe('MetricsHub', () => {
  it('answers scrapes through its thread', async () => {
    await startHub();
    expect(Buffer.from((await scrape(100)).body).toString()).toMatch(/^scrape \d+\n$/);
  });

  it('replaces a thread that crashed; the scrape in flight fails, later ones are answered', async () => {
    await startHub();
    const crashed = scrape(CRASH);
    await expect(crashed).rejects.toThrow(/metrics thread stopped/);
    await expect(crashed).rejects.toBeInstanceOf(MetricsUnavailableError);
    expect(await answeredAgain()).toMatch(/^scrape \d+\n$/);
  });

  it('replaces a thread that stopped answering after three scrapes in a row timed out', async () => {
    await startHub();
    const wedged = scrape(WEDGE);
    await expect(wedged).rejects.toThrow(/did not answer in time/);
    await expect(wedged).rejects.toBeInstanceOf(MetricsUnavailableError);
    // Two misses are not yet a wedged thread: it is left alone.
    await expect(scrape(100)).rejects.toThrow(/did not answer in time/);
    await expect(scrape(100)).rejects.toThrow(/did not answer in time|metrics thread stopped/);
    expect(await answeredAgain()).toMatch(/^scrape \d+\n$/);
  });
});
