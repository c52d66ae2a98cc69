// What HOST and METRICS_HOST may be: an IP literal or a hostname a resolver could answer. Checked
// before any lookup, so a typo such as 256.1.1.1 is named at start rather than reaching
// getaddrinfo, which either fails every worker's listen (ENOTFOUND) or, for inet_aton's old forms
// (127.1, 010.0.0.1 in octal), quietly binds another address than the one meant.
import net from 'node:net';

/** A DNS label (RFC 1123), with `_` allowed: Docker Compose service names use it. */
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i;
/** Two colons or more among letters and digits (a zone after %): meant as IPv6, not a host:port. */
const IPV6_LIKE = /^(?=(?:[^:]*:){2})[0-9a-z:.]+(?:%.+)?$/i;
/** A last label of digits (or 0x hex) makes a name an IPv4 address to getaddrinfo, never a name. */
const NUMERIC_LABEL = /^(?:\d+|0x[0-9a-f]*)$/i;

export function hostSyntaxProblem(host: string): string | undefined {
  if (net.isIP(host) !== 0) return undefined;
  if (host.startsWith('[') && host.endsWith(']')) {
    return 'write an IPv6 address without brackets (e.g. :: or ::1)';
  }
  if (IPV6_LIKE.test(host)) return 'is not a valid IPv6 address';
  // One trailing dot is the DNS root: "localhost." is a fully qualified name.
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  const labels = name.split('.');
  if (NUMERIC_LABEL.test(labels[labels.length - 1] ?? '')) {
    return 'is not a valid IPv4 address (four numbers 0-255 without leading zeros)';
  }
  if (name.length > 253 || !labels.every((label) => LABEL.test(label))) {
    return (
      'is neither an IP address nor a hostname (labels of letters, digits, "-" and "_", ' +
      '1-63 characters each, not starting or ending with "-", 253 in all; no scheme, port or path)'
    );
  }
  return undefined;
}
