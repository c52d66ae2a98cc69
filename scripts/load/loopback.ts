// The load runner only ever targets this machine: loopback addresses and `localhost`. Anything
// else is refused before a single request is sent (a hard rule, not a default).
import net from 'node:net';

export class TargetError extends Error {
  override name = 'TargetError';
}

/** True for `localhost`, 127.0.0.0/8 and ::1 (as URL hostnames, i.e. `[::1]`). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) return host === '::1' || /^::ffff:(127\.|7f[0-9a-f]{2}:)/.test(host);
  return false;
}

/**
 * Parses an origin such as `http://127.0.0.1:8080` and returns it without a trailing slash;
 * throws TargetError naming `label` when it is not an http(s) origin on a loopback host.
 */
export function loopbackOrigin(raw: string, label: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetError(
      `${label} ${JSON.stringify(raw)} is not a URL (e.g. http://127.0.0.1:8080)`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TargetError(
      `${label} ${JSON.stringify(raw)}: only http:// and https:// are supported`,
    );
  }
  if (!isLoopbackHost(url.hostname)) {
    throw new TargetError(
      `${label} ${JSON.stringify(raw)}: refusing to send load to ${url.hostname}; ` +
        'the load runner only targets loopback (localhost, 127.0.0.0/8, [::1])',
    );
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new TargetError(
      `${label} ${JSON.stringify(raw)}: give an origin only, no credentials or query`,
    );
  }
  if (url.pathname !== '/') {
    throw new TargetError(
      `${label} ${JSON.stringify(raw)}: give an origin only (e.g. ${url.origin}), without a path`,
    );
  }
  return url.origin;
}
