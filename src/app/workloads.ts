// The three kinds of work the demo API does, each loading a different part of a Node process:
// the JS thread (busy loop), nothing at all (timer), and libuv's thread pool (pbkdf2).
import { pbkdf2 } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

/**
 * Spins the event loop's thread for `ms` milliseconds on purpose: this is the request that makes
 * a single Node process stall and the reason the service runs a cluster. Returns the number of
 * loop iterations, so the work is observable (and cannot be optimised away).
 */
export function busyLoop(ms: number): number {
  const deadline = performance.now() + ms;
  let iterations = 0;
  do {
    iterations += 1;
  } while (performance.now() < deadline);
  return iterations;
}

/**
 * Waits `ms` without blocking anything. Rejects with an AbortError as soon as `signal` aborts
 * (the client hung up), so an abandoned 30 s wait does not hold the request open for 30 s.
 */
export async function wait(ms: number, signal?: AbortSignal): Promise<void> {
  await sleep(ms, undefined, signal === undefined ? undefined : { signal });
}

/**
 * A fixed salt: the endpoint is a CPU-cost demo, not password storage, and a deterministic
 * result lets clients (and tests) check the answer.
 */
export const HASH_SALT = 'koa-cluster-service';
export const HASH_KEY_BYTES = 32;
export const HASH_DIGEST = 'sha256';

/** PBKDF2-SHA256 on libuv's thread pool: the event loop stays free while it runs. */
export async function hashInput(input: string, iterations: number): Promise<string> {
  const key = await pbkdf2Async(input, HASH_SALT, iterations, HASH_KEY_BYTES, HASH_DIGEST);
  return key.toString('hex');
}
