// The manager calls a run makes: read /status, trigger POST /reload, wait for the reload to
// finish. Every call has a timeout; nothing here can hang a run.
import { ENDPOINTS } from '../../k6/lib/endpoints.js';
import { parseStatus, reloadComplete, type StatusSnapshot } from '../../k6/lib/status.js';

const CALL_TIMEOUT_MS = 5_000;

export async function fetchStatus(managerUrl: string): Promise<StatusSnapshot> {
  const response = await fetch(`${managerUrl}${ENDPOINTS.managerStatus.path}`, {
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
  const text = await response.text();
  const status = response.ok ? parseStatus(text) : undefined;
  if (status === undefined) {
    throw new Error(`${managerUrl}/status answered ${response.status}: ${text.slice(0, 200)}`);
  }
  return status;
}

/** Status, or undefined when the manager cannot be read right now. */
export async function tryFetchStatus(managerUrl: string): Promise<StatusSnapshot | undefined> {
  try {
    return await fetchStatus(managerUrl);
  } catch {
    return undefined;
  }
}

export interface ReloadTrigger {
  status: number;
  body: string;
}

export async function triggerReload(
  managerUrl: string,
  adminToken: string,
): Promise<ReloadTrigger> {
  const response = await fetch(`${managerUrl}${ENDPOINTS.reload.path}`, {
    method: ENDPOINTS.reload.method,
    headers: { authorization: `Bearer ${adminToken}` },
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
  return { status: response.status, body: (await response.text()).slice(0, 500) };
}

/**
 * Polls /status until every worker from `before` has been replaced by a ready one, or until
 * `deadline` (epoch ms) or `signal`. Resolves with the time it completed, or undefined.
 */
export async function waitForReload(
  managerUrl: string,
  before: StatusSnapshot,
  deadline: number,
  signal?: AbortSignal,
  intervalMs = 200,
): Promise<number | undefined> {
  while (Date.now() < deadline && signal?.aborted !== true) {
    const now = await tryFetchStatus(managerUrl);
    if (now !== undefined && reloadComplete(before, now)) return Date.now();
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return undefined;
}

/** The largest resident memory of any worker, in bytes (null when none reports it). */
export function maxWorkerRss(status: StatusSnapshot): number | null {
  const values = status.workers
    .map((w) => w.residentMemoryBytes)
    .filter((v): v is number => v !== null);
  return values.length === 0 ? null : Math.max(...values);
}
