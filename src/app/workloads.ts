// The three kinds of work the demo API does, each loading a different part of a Node process:
// the JS thread (busy loop), nothing at all (timer), and libuv's thread pool (pbkdf2).
import { pbkdf2 } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

// Blocks the event loop on purpose: the request that stalls a single Node process, the reason for
// the cluster. The iterations are returned so the work is observable and not optimised away.
export function busyLoop(ms: number): number {
  const deadline = performance.now() + ms;
  let iterations = 0;
  do {
    iterations += 1;
  } while (performance.now() < deadline);
  return iterations;
}

/** Rejects with an AbortError once `signal` aborts: a client that hung up ends its wait. */
export async function wait(ms: number, signal?: AbortSignal): Promise<void> {
  await sleep(ms, undefined, signal === undefined ? undefined : { signal });
}

// A fixed salt: a CPU-cost demo, not password storage; a deterministic result can be checked.
export const HASH_SALT = 'koa-cluster-service';
export const HASH_KEY_BYTES = 32;
export const HASH_DIGEST = 'sha256';

export async function hashInput(input: string, iterations: number): Promise<string> {
  const key = await pbkdf2Async(input, HASH_SALT, iterations, HASH_KEY_BYTES, HASH_DIGEST);
  return key.toString('hex');
}
